"""Conference report files: checked by extension AND content, stored under var/reports/.

A file is kept under a random name (never the name the browser sent, which could hold a
path or a family's name); the original name, size and hash are kept beside it as metadata.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from urllib.parse import quote

from tracker import audit
from tracker.audit import Actor
from tracker.plans.tables import ConferenceInvitee

MAX_BYTES = 10 * 1024 * 1024
"""Largest report accepted: 10 MB."""

ALLOWED = {".pdf": "PDF", ".docx": "Word (DOCX)", ".odt": "OpenDocument text (ODT)",
           ".txt": "plain text (TXT)"}
ALLOWED_WORDS = "PDF, Word (DOCX), OpenDocument (ODT) or plain text (TXT)"

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


class ReportFileError(ValueError):
    """The file cannot be accepted; the message says why in plain words."""


@dataclass(frozen=True)
class StoredReport:
    """Where a report was put (relative to var/), and what it was called."""

    relative_path: str
    original_name: str
    size: int
    sha256: str


def _zip_names(content: bytes) -> set[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ReportFileError("This file looks damaged: it could not be opened.") from exc


def check_content(filename: str, content: bytes) -> str:
    """The file's extension when its name and its first bytes agree on an allowed type."""
    suffix = PurePath(filename.replace("\\", "/")).suffix.lower()
    if suffix not in ALLOWED:
        raise ReportFileError(f"The report must be a {ALLOWED_WORDS} file.")
    if not content:
        raise ReportFileError("The selected file is empty.")
    if len(content) > MAX_BYTES:
        raise ReportFileError("The report must be smaller than 10 MB.")
    mismatch = ReportFileError(
        f"The file's contents do not match its name ({suffix}). "
        f"Save it again as {ALLOWED_WORDS} and attach it."
    )
    if suffix == ".pdf":
        if not content.startswith(b"%PDF-"):
            raise mismatch
    elif suffix == ".docx":
        if not content.startswith(b"PK\x03\x04"):
            raise mismatch
        names = _zip_names(content)
        if "[Content_Types].xml" not in names or "word/document.xml" not in names:
            raise mismatch
    elif suffix == ".odt":
        # The ODF spec puts an uncompressed 'mimetype' entry first, at byte 30.
        if not content.startswith(b"PK\x03\x04") or content[30:38] != b"mimetype" \
                or ODT_MIMETYPE not in content[38:38 + len(ODT_MIMETYPE) + 10]:
            raise mismatch
        _zip_names(content)
    elif suffix == ".txt":
        if b"\x00" in content:
            raise mismatch
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            try:
                content.decode("cp1252")
            except UnicodeDecodeError:
                raise mismatch from None
    return suffix


def store(*, var_dir: Path, filename: str, content: bytes, conference_id: int, user_id: int,
          now: datetime) -> StoredReport:
    """Check and write the file under var/reports/ with a random name, plus its metadata."""
    suffix = check_content(filename, content)
    folder = var_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    stem = secrets.token_hex(16)
    path = folder / f"{stem}{suffix}"
    with open(path, "xb") as f:  # 'x': never overwrite
        f.write(content)
    original = PurePath(filename.replace("\\", "/")).name[:200]
    digest = hashlib.sha256(content).hexdigest()
    meta = {"original_name": original, "size": len(content), "sha256": digest,
            "conference_id": conference_id, "user_id": user_id, "uploaded_at": now.isoformat()}
    (folder / f"{stem}.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return StoredReport(relative_path=f"reports/{stem}{suffix}", original_name=original,
                        size=len(content), sha256=digest)


def discard(var_dir: Path, stored: StoredReport) -> None:
    """Remove a stored file and its metadata (when recording the submission failed)."""
    path = var_dir / stored.relative_path
    for p in (path, path.with_suffix(".json")):
        p.unlink(missing_ok=True)


def discard_path(var_dir: Path, relative_path: str | None) -> bool:
    """Delete a stored report (a superseded one) and its metadata; True when a file went.

    Only our own files inside var/reports/ are ever deleted, whatever the stored path says.
    """
    if not relative_path:
        return False
    folder = (var_dir / "reports").resolve()
    path = (var_dir / relative_path).resolve()
    if path.parent != folder or path.suffix.lower() not in ALLOWED:
        return False
    existed = path.is_file()
    for p in (path, path.with_suffix(".json")):
        p.unlink(missing_ok=True)
    return existed


def original_name(var_dir: Path, relative_path: str | None) -> str | None:
    """The name the file had when attached, from its metadata."""
    if not relative_path:
        return None
    meta = (var_dir / relative_path).with_suffix(".json")
    try:
        return str(json.loads(meta.read_text(encoding="utf-8"))["original_name"])
    except (OSError, ValueError, KeyError):
        return None


MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".txt": "text/plain",
}
"""What each allowed kind of report is sent back as."""


@dataclass(frozen=True)
class ReportDownload:
    """A stored report found on disk, ready to send back."""

    path: Path
    download_name: str
    media_type: str


def download_name(original: str | None, suffix: str) -> str:
    """A safe file name for Content-Disposition: no path, quotes or control characters.

    The stored name came from a browser, so it is treated as untrusted text here too.
    """
    name = PurePath((original or "").replace("\\", "/")).name
    name = "".join(ch if ch.isprintable() and ch not in '"/\\;:*?<>|' else " " for ch in name)
    name = " ".join(name.split()).strip(". ")[:150]
    if not name:
        name = "report"
    if PurePath(name).suffix.lower() != suffix:
        name = f"{name}{suffix}"
    return name


def find_download(var_dir: Path, relative_path: str | None) -> ReportDownload | None:
    """The stored file for a report, or None when there is none (or it is not where it should be)."""
    if not relative_path:
        return None
    folder = (var_dir / "reports").resolve()
    path = (var_dir / relative_path).resolve()
    suffix = path.suffix.lower()
    # Only our own random names inside var/reports/: a stored path never leads elsewhere.
    if path.parent != folder or suffix not in MEDIA_TYPES or not path.is_file():
        return None
    return ReportDownload(path=path, media_type=MEDIA_TYPES[suffix],
                          download_name=download_name(original_name(var_dir, relative_path),
                                                      suffix))


def content_disposition(name: str) -> str:
    """attachment, with an ASCII fallback name and the full name per RFC 6266 / RFC 5987."""
    fallback = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def record_download(*, conference_id: int, owner_id: int, family_id: int, actor: Actor,
                          file_name: str, now: datetime) -> None:
    """Audit that `actor` downloaded the report `owner_id` attached for a conference."""
    row = await ConferenceInvitee.select(ConferenceInvitee.id).where(
        (ConferenceInvitee.conference == conference_id) & (ConferenceInvitee.user == owner_id)
    ).first()
    if row is None:
        return
    await audit.record(
        actor=actor, now=now, record_type="conference_invitee", record_id=row["id"],
        action="read", changes={"report_downloaded": [None, file_name]}, family_id=family_id)
