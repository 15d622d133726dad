"""Downloading a conference report: the stored file back, for those who may see the family."""

from __future__ import annotations

from datetime import timedelta

from tests.support.factories import SYSTEM, at
from tests.support.staff import csrf_token
from tests.support.staff_pages import as_user, give_password, signable_world
from tracker.plans import service
from tracker.plans.schemas import ConferenceIn
from tracker.plans.tables import ConferenceInvitee
from tracker.staff import report_files

PDF = b"%PDF-1.7\n%Rosie's attendance\n"


async def _review(world, now) -> int:  # type: ignore[no-untyped-def]
    return await service.create_conference(
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp",
                          starts_at=at(now.date() + timedelta(days=20)), chair_id=world.chair.id,
                          invitee_ids=[world.invitee.id, world.lead.id]),
        actor=SYSTEM, now=now)


async def _upload(client, conference_id, name, content, media_type="application/pdf"):  # type: ignore[no-untyped-def]
    token = await csrf_token(client, "/actions")
    response = await client.post(f"/conferences/{conference_id}/report",
                                 data={"_csrf_token": token},
                                 files={"report": (name, content, media_type)})
    assert response.status_code == 303, response.text[:300]


async def test_a_report_downloads_as_the_file_that_was_attached(client, clock):
    world = await signable_world(clock.now())
    conference_id = await _review(world, clock.now())
    await as_user(client, world.invitee)
    await _upload(client, conference_id, "Report for Rosie.pdf", PDF)
    path = f"/conferences/{conference_id}/reports/{world.invitee.id}"
    for reader in (world.invitee, world.lead, world.chair):  # all may see the family
        await as_user(client, reader)
        response = await client.get(path)
        assert response.status_code == 200
        assert response.content == PDF
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"].startswith(
            'attachment; filename="Report for Rosie.pdf"')
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"


async def test_download_links_show_where_reports_are_listed(client, clock):
    world = await signable_world(clock.now())
    conference_id = await _review(world, clock.now())
    await as_user(client, world.invitee)
    await _upload(client, conference_id, "report.pdf", PDF)
    mine = f'href="/conferences/{conference_id}/reports/{world.invitee.id}"'
    lead_has_none = f'href="/conferences/{conference_id}/reports/{world.lead.id}"'
    await as_user(client, world.chair)
    for page in (f"/conferences/{conference_id}", "/chair",
                 f"/plans/{world.plan_id}/review-summary"):
        text = (await client.get(page)).text
        assert mine in text, page
        assert lead_has_none not in text, page  # no file attached: no link


async def test_a_name_with_odd_characters_is_made_safe(client, clock):
    world = await signable_world(clock.now())
    conference_id = await _review(world, clock.now())
    await as_user(client, world.invitee)
    await _upload(client, conference_id, 'Rosie "final"\r\nX-Evil: 1; é.txt',
                  "Rosie’s week went well.".encode(), "text/plain")
    response = await client.get(f"/conferences/{conference_id}/reports/{world.invitee.id}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    disposition = response.headers["content-disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "x-evil" not in response.headers
    assert disposition.startswith('attachment; filename="Rosie final X-Evil 1 _.txt"')
    assert "filename*=UTF-8''Rosie%20final%20X-Evil%201%20%C3%A9.txt" in disposition


async def test_a_professional_of_another_family_gets_not_found(client, clock):
    world = await signable_world(clock.now())
    other = await signable_world(clock.now())
    conference_id = await _review(world, clock.now())
    await as_user(client, world.invitee)
    await _upload(client, conference_id, "report.pdf", PDF)
    path = f"/conferences/{conference_id}/reports/{world.invitee.id}"
    for stranger in (world.outsider, other.lead, other.invitee):
        await give_password(stranger.id)
        await as_user(client, stranger)
        response = await client.get(path)
        assert response.status_code == 404 and PDF not in response.content


async def test_no_file_is_not_found(client, clock):
    world = await signable_world(clock.now())
    conference_id = await _review(world, clock.now())
    await as_user(client, world.lead)
    # Invited, but nothing attached; not invited at all; no such conference.
    assert (await client.get(f"/conferences/{conference_id}/reports/{world.lead.id}")
            ).status_code == 404
    assert (await client.get(f"/conferences/{conference_id}/reports/{world.chair.id}")
            ).status_code == 404
    assert (await client.get(f"/conferences/999999/reports/{world.lead.id}")).status_code == 404


async def test_a_file_gone_from_disk_is_not_found(client, clock, app):
    world = await signable_world(clock.now())
    conference_id = await _review(world, clock.now())
    await as_user(client, world.invitee)
    await _upload(client, conference_id, "report.pdf", PDF)
    row = await ConferenceInvitee.select(ConferenceInvitee.report_file).where(
        (ConferenceInvitee.conference == conference_id)
        & (ConferenceInvitee.user == world.invitee.id)).first()
    (app.state["settings"].var_dir / row["report_file"]).unlink()
    response = await client.get(f"/conferences/{conference_id}/reports/{world.invitee.id}")
    assert response.status_code == 404


def test_a_stored_path_outside_var_reports_is_never_served(tmp_path):
    (tmp_path / "secret.txt").write_text("not a report")
    (tmp_path / "reports").mkdir()
    for stored in ("secret.txt", "reports/../secret.txt", "/etc/passwd", "reports/x.json"):
        assert report_files.find_download(tmp_path, stored) is None


def test_download_names_are_plain_and_keep_their_type():
    assert report_files.download_name("../../etc/passwd.pdf", ".pdf") == "passwd.pdf"
    assert report_files.download_name(None, ".docx") == "report.docx"
    assert report_files.download_name("notes", ".txt") == "notes.txt"
    assert report_files.download_name('a"b;c.pdf', ".pdf") == "a b c.pdf"
