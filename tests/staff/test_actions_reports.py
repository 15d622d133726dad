"""Marking a conference report as sent, with an optional file: size, type and ownership limits."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.factories import SYSTEM, at
from tests.support.staff import csrf_token
from tests.support.staff_pages import as_user, signable_world
from tracker.plans import service
from tracker.plans.schemas import ConferenceIn
from tracker.plans.tables import ConferenceInvitee
from tracker.settings import get_settings
from tracker.staff import report_files


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def _odt() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    return buf.getvalue()


async def _review(world, now) -> int:
    return await service.create_conference(
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp",
                          starts_at=at(now.date() + timedelta(days=20)), chair_id=world.chair.id,
                          invitee_ids=[world.invitee.id, world.lead.id]),
        actor=SYSTEM, now=now)


async def _post_report(client, conference_id, files=None, data=None, with_token=True):
    token = await csrf_token(client, "/actions")
    form = {**(data or {})}
    if with_token:
        form["_csrf_token"] = token
    return await client.post(f"/conferences/{conference_id}/report", data=form,
                             files=files or {"report": ("", b"", "application/octet-stream")})


async def _invitee_row(conference_id, user_id):
    return await ConferenceInvitee.select().where(
        (ConferenceInvitee.conference == conference_id) & (ConferenceInvitee.user == user_id)
    ).first()


async def test_upcoming_conference_shows_with_its_report_due_date(client, clock):
    world = await signable_world(clock.now())
    conference_id = await _review(world, clock.now())
    await as_user(client, world.invitee)
    html = (await client.get("/actions")).text
    assert f'action="/conferences/{conference_id}/report"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "Not in yet" in html


async def test_marking_the_report_sent_without_a_file(client, clock):
    world = await signable_world(clock.now())
    conference_id = await _review(world, clock.now())
    await as_user(client, world.invitee)
    response = await _post_report(client, conference_id)
    assert response.status_code == 303
    row = await _invitee_row(conference_id, world.invitee.id)
    assert row["report_submitted_at"] == clock.now() and row["report_file"] is None
    assert "Received" in (await client.get("/actions")).text


@pytest.mark.parametrize("name,content", [
    ("Report for Rosie.pdf", b"%PDF-1.7\n%hello\n"),
    ("report.docx", _docx()),
    ("report.odt", _odt()),
    ("notes.TXT", "Rosie’s attendance is up to 92%.".encode()),
])
async def test_an_allowed_file_is_stored_under_var_with_a_random_name(client, clock, name,
                                                                       content):
    world = await signable_world(clock.now())
    conference_id = await _review(world, clock.now())
    await as_user(client, world.invitee)
    response = await _post_report(client, conference_id,
                                  files={"report": (name, content, "application/octet-stream")})
    assert response.status_code == 303, response.text[:500]
    row = await _invitee_row(conference_id, world.invitee.id)
    stored = get_settings().var_dir / row["report_file"]
    assert row["report_file"].startswith("reports/")
    assert Path(row["report_file"]).suffix == Path(name).suffix.lower()
    assert name not in row["report_file"] and stored.read_bytes() == content
    meta = json.loads(stored.with_suffix(".json").read_text())
    assert meta["original_name"] == name and meta["size"] == len(content)
    assert name in (await client.get("/actions")).text  # shown back as metadata


@pytest.mark.parametrize("name,content,message", [
    ("report.exe", b"MZ\x90\x00", "must be a PDF"),
    ("report.pdf", b"MZ\x90\x00 pretending", "do not match"),
    ("report.docx", b"%PDF-1.4 renamed", "do not match"),
    ("report.docx", b"PK\x03\x04 not really a zip", "looks damaged"),
    ("report.odt", _docx(), "do not match"),
    ("report.txt", b"\x00\x01\x02binary", "do not match"),
    ("report.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "smaller than 10 MB"),
])
async def test_a_file_of_the_wrong_type_or_too_big_is_refused_kindly(client, clock, name,
                                                                     content, message):
    world = await signable_world(clock.now())
    conference_id = await _review(world, clock.now())
    await as_user(client, world.invitee)
    before = set((get_settings().var_dir / "reports").glob("*")) if (
        get_settings().var_dir / "reports").exists() else set()
    response = await _post_report(client, conference_id,
                                  files={"report": (name, content, "application/pdf")})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text and message in response.text
    assert f'href="#report-{conference_id}"' in response.text
    row = await _invitee_row(conference_id, world.invitee.id)
    assert row["report_submitted_at"] is None
    after = set((get_settings().var_dir / "reports").glob("*")) if (
        get_settings().var_dir / "reports").exists() else set()
    assert after == before


async def test_a_body_far_over_the_limit_is_refused_before_it_is_read(client, clock):
    world = await signable_world(clock.now())
    conference_id = await _review(world, clock.now())
    await as_user(client, world.invitee)
    response = await _post_report(client, conference_id, files={
        "report": ("big.pdf", b"%PDF-" + b"0" * (13 * 1024 * 1024), "application/pdf")})
    assert response.status_code == 413


async def test_only_invited_professionals_can_send_a_report(client, clock):
    world = await signable_world(clock.now())
    conference_id = await _review(world, clock.now())
    await as_user(client, world.outsider)
    response = await _post_report(client, conference_id)
    assert response.status_code == 404
    await as_user(client, world.chair)  # chairs the conference, but is not invited to report
    assert (await _post_report(client, conference_id)).status_code == 404
    assert (await _post_report(client, 999999)).status_code == 404


async def test_report_without_csrf_token_is_refused(client, clock):
    world = await signable_world(clock.now())
    conference_id = await _review(world, clock.now())
    await as_user(client, world.invitee)
    response = await _post_report(client, conference_id, with_token=False)
    assert response.status_code == 403
    assert (await _invitee_row(conference_id, world.invitee.id))["report_submitted_at"] is None


def test_report_file_names_never_become_paths(tmp_path, clock):
    stored = report_files.store(var_dir=tmp_path, filename="..\\..\\etc/passwd.txt",
                                content=b"hello", conference_id=1, user_id=2, now=clock.now())
    assert stored.original_name == "passwd.txt"
    assert (tmp_path / stored.relative_path).parent == tmp_path / "reports"
