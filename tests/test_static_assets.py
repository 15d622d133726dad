"""Fingerprinted assets: pages link to content-hashed URLs, cached for a year; templates compiled once."""

from __future__ import annotations

import dataclasses
import re

from tracker.settings import get_settings
from tracker.static_assets import IMMUTABLE, catalogue_of
from tracker.web import STATIC_DIR, jinja_environment, template_config

ASSET_LINK = re.compile(r'(?:href|src)="(/assets/([0-9a-f]{16})/([^"]+))"')


async def test_the_sign_in_page_links_hashed_assets_cached_for_a_year(client):
    page = await client.get("/signin")
    links = ASSET_LINK.findall(page.text)
    names = {name for _, _, name in links}
    assert {"govuk/govuk-frontend.min.css", "staff.css", "app.mjs", "htmx/htmx.min.js"} <= names
    assert "/static/" not in page.text
    for url, _, name in links:
        answer = await client.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert answer.content == (STATIC_DIR / name).read_bytes()
    css = await client.get(catalogue_of(STATIC_DIR).url("staff.css"))
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["x-content-type-options"] == "nosniff"


async def test_an_old_hash_still_gets_the_file_but_not_for_keeps(client):
    answer = await client.get("/assets/0000000000000000/staff.css")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-cache"
    assert (await client.get("/assets/0000000000000000/no-such.css")).status_code == 404
    assert (await client.get("/assets/0000000000000000/../tracker/app.py")).status_code == 404


def test_a_changed_file_gets_a_new_url(tmp_path):
    (tmp_path / "a.css").write_text("body { color: black }")
    before = catalogue_of.__wrapped__(tmp_path).url("a.css")
    (tmp_path / "a.css").write_text("body { color: navy }")
    after = catalogue_of.__wrapped__(tmp_path).url("a.css")
    assert before != after and before.endswith("/a.css")
    assert IMMUTABLE.endswith("immutable")


def test_templates_are_compiled_once_outside_development():
    assert jinja_environment().auto_reload is False
    for env, reload in (("production", False), ("test", False), ("development", True)):
        settings = dataclasses.replace(get_settings(), env=env)
        engine = template_config(settings).instance
        assert engine is not None and engine.engine.auto_reload is reload
