"""Fingerprinted static assets: `/assets/<hash>/<path>`, cached by browsers for a year.

Pages link to `asset_url("staff.css")`, which names the file by a hash of its contents, so a
changed file gets a new URL and the old one can be cached as `immutable` for a year. The hashes
are taken once, when the app is built (assets change only with a deploy). A request for a file
whose hash is not the current one (a page from an older or newer web process during a rolling
restart) still gets the file, but not cacheable, so no browser keeps the wrong version.
The plain `/static/...` URLs keep working for what CSS and scripts reference themselves.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from litestar import Response, get
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

ASSET_PREFIX = "/assets/"
IMMUTABLE = "public, max-age=31536000, immutable"
NOT_CURRENT = "no-cache"
DIGEST_CHARS = 16


@dataclass(frozen=True)
class Asset:
    """One static file, read once: its bytes, media type and content hash."""

    body: bytes
    media_type: str
    digest: str


class AssetCatalogue:
    """Every file under the static folder, with the hashed URL pages link to."""

    def __init__(self, root: Path) -> None:
        self.assets: dict[str, Asset] = {}
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.name.startswith("."):
                continue
            body = path.read_bytes()
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if path.suffix == ".mjs":
                media_type = "text/javascript"
            if media_type.startswith("text/") or media_type.endswith(("javascript", "svg+xml")):
                media_type += "; charset=utf-8"
            digest = hashlib.sha256(body).hexdigest()[:DIGEST_CHARS]
            self.assets[path.relative_to(root).as_posix()] = Asset(body, media_type, digest)

    def url(self, name: str) -> str:
        """The fingerprinted URL of a static file (a missing name is a template bug: raise)."""
        return f"{ASSET_PREFIX}{self.assets[name].digest}/{name}"


def asset_route(catalogue: AssetCatalogue) -> HTTPRouteHandler:
    """The route serving fingerprinted assets from memory."""

    @get(f"{ASSET_PREFIX}{{digest:str}}/{{file_path:path}}", include_in_schema=False, sync_to_thread=False)
    def asset(digest: FromPath[str], file_path: FromPath[Path]) -> Response[bytes]:
        found = catalogue.assets.get(file_path.as_posix().lstrip("/"))
        if found is None:
            raise NotFoundException("No such asset.")
        cache = IMMUTABLE if digest == found.digest else NOT_CURRENT
        return Response(found.body, media_type=found.media_type,
                        headers={"Cache-Control": cache, "ETag": f'"{found.digest}"'})

    return asset


@cache
def catalogue_of(root: Path) -> AssetCatalogue:
    """The catalogue of a static folder, hashed once per process."""
    return AssetCatalogue(root)
