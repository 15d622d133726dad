"""Checks on save: after text is saved the page shows what the wording checks found, never
blocking the save; family-facing text also shows how the family will read it."""

from __future__ import annotations

from datetime import timedelta

from tests.support.factories import POLICY
from tests.support.staff_pages import as_user, post_as_form, post_htmx, signable_world
from tracker.plans.tables import Action, Conference, Outcome, ProgressUpdate
from tracker.staff.saved_checks import saved_checks

BANNER = "Saved: a second look at the wording"
FAMILY_VIEW = "How the family will read it"


def _due(day) -> dict[str, str]:
    return {"action-due-day": str(day.day), "action-due-month": str(day.month),
            "action-due-year": str(day.year)}


def test_saved_checks_cover_every_kind_for_family_text_and_only_restorative_for_notes():
    (family,) = saved_checks([("How we will know", "Mum engages with the core group.", True)], POLICY)
    assert family["family_facing"] and isinstance(family["reading_age"], int)
    # The tone model reads "Mum engages ..." as a demand on Mum (a whole-sentence finding); the
    # narrower jargon and plain-English findings are what "how the family will read it" marks.
    assert {f["kind"] for f in family["findings"]} == {"jargon", "plain_english", "restorative"}
    assert "".join(piece["text"] for piece in family["segments"]) == "Mum engages with the core group."
    assert [p["text"] for p in family["segments"] if p["finding"]] == ["Mum", "engages", "core group"]
    (note,) = saved_checks([("Your note", "Mum did not bother. Core group on Monday.", False)], POLICY)
    assert {f["kind"] for f in note["findings"]} == {"restorative"} and "segments" not in note
    assert saved_checks([("Note", "Jess rang the school on Monday.", False), ("Empty", "", True)],
                        POLICY) == []


async def test_a_saved_action_with_jargon_shows_how_the_family_will_read_it(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.lead)
    outcome = await Outcome.select().where(Outcome.plan == world.plan_id).first()
    response = await post_as_form(client, f"/plans/{world.plan_id}/actions", {
        "outcome_id": str(outcome["id"]), "owner": f"user:{world.invitee.id}",
        "description": "Mum to engage with the core group every fortnight.",
        "success_measure": "Mum engages.", "support_offered": "Helen explains the plan.",
        **_due(now.date() + timedelta(days=14))})
    assert response.status_code == 303  # saved, not blocked
    action = await Action.select().where(Action.description.like("Mum to engage%")).first()
    assert response.headers["location"] == f"/plans/{world.plan_id}?saved=action-{action['id']}#action-{action['id']}"
    page = (await client.get(response.headers["location"])).text
    assert BANNER in page and FAMILY_VIEW in page
    assert "<mark" in page and "core group" in page and "Reading age about" in page
    assert "jargon" in page and "plain English" in page


async def test_a_saved_action_in_plain_words_shows_no_second_look(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.lead)
    outcome = await Outcome.select().where(Outcome.plan == world.plan_id).first()
    response = await post_as_form(client, f"/plans/{world.plan_id}/actions", {
        "outcome_id": str(outcome["id"]), "owner": f"user:{world.invitee.id}",
        "description": "Helen will ring you on Mondays to plan the week.",
        "success_measure": "You and Helen speak each Monday.", "support_offered": "",
        **_due(now.date() + timedelta(days=14))})
    page = (await client.get(response.headers["location"])).text
    assert BANNER not in page


async def test_a_saved_conference_record_shows_restorative_findings_without_a_family_view(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    review_on = clock.now().date() + timedelta(days=70)
    response = await post_as_form(client, f"/conferences/{world.conference_id}/record", {
        "worries": "Dad is unwilling to change and the home is chaotic.",
        "next_review-day": str(review_on.day), "next_review-month": str(review_on.month),
        "next_review-year": str(review_on.year)})
    assert response.status_code == 303
    row = await Conference.select(Conference.worries).where(Conference.id == world.conference_id).first()
    assert row["worries"].startswith("Dad is unwilling")  # saved as written
    page = (await client.get(response.headers["location"])).text
    assert BANNER in page and "unwilling" in page and FAMILY_VIEW not in page


async def test_a_progress_note_is_saved_and_its_findings_shown(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.invitee)
    card = await post_htmx(client, f"/actions/{world.action_id}/update",
                           {"status": "in_progress", "note": "Mum did not bother to answer."})
    assert card.status_code == 200 and BANNER in card.text and "did not bother" in card.text
    page = await post_as_form(client, f"/actions/{world.action_id}/update",
                              {"status": "in_progress", "note": "Mum can't be bothered."})
    # Post/redirect/get: the findings are on the page it redirects to, and stay on a refresh.
    assert page.status_code == 303 and page.headers["location"].startswith("/actions?saved=note-")
    for _ in range(2):
        assert BANNER in (await client.get(page.headers["location"])).text
    notes = [u["note"] for u in await ProgressUpdate.select().where(ProgressUpdate.action == world.action_id)]
    assert "Mum did not bother to answer." in notes and "Mum can't be bothered." in notes
    plain = await post_as_form(client, f"/actions/{world.action_id}/update",
                               {"status": "in_progress", "note": "Rang Jess; Monday works."})
    assert plain.status_code == 303
