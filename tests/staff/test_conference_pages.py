"""The conference record in the seed's seven steps, the decision, and making the revised plan."""

from __future__ import annotations

from datetime import timedelta

from tests.support.factories import SYSTEM, at
from tests.support.staff_pages import as_user, post_as_form, post_htmx, signable_world
from tracker.audit import AuditEvent
from tracker.plans import service
from tracker.plans.schemas import GUIDE_POINT_ONE, SEVEN_STEPS, ConferenceIn
from tracker.plans.tables import Action, Conference, Plan

STEPS = {
    "family_description": "Jess says Rosie is funny and kind, and loves drawing.",
    "children_views": "Rosie told her advocate she wants to walk to school with Mum.",
    "worries": "Rosie missed 14 school days this term.",
    "impact": "Rosie is behind in reading and misses her friends.",
    "family_reflections": "Jess said mornings are hard since the baby; Linda can help.",
    "what_better_looks_like": "Rosie in class by 8:50 every day.",
    "support_and_contributions": "Helen will phone Jess on Mondays; Linda walks Rosie on Fridays.",
}


def _record(review_on, **extra):
    data = dict(STEPS)
    data.update({"decision": "cp_plan", "categories": ["neglect"],
                 "next_review-day": str(review_on.day), "next_review-month": str(review_on.month),
                 "next_review-year": str(review_on.year)})
    data.update(extra)
    return data


async def _review_conference(world, now, *, days: int = -1) -> int:
    return await service.create_conference(
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp",
                          starts_at=at(now.date() + timedelta(days=days)),
                          chair_id=world.chair.id, invitee_ids=[world.invitee.id]),
        actor=SYSTEM, now=now)


async def test_record_form_follows_the_seven_steps_in_order_with_hints(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.chair)
    page = await client.get(f"/conferences/{world.conference_id}/record")
    assert page.status_code == 200
    html = page.text
    positions = [html.index(f'id="{name}"') for name, _ in SEVEN_STEPS]
    assert positions == sorted(positions)
    for _, label in SEVEN_STEPS:
        assert label.replace("'", "&#39;") in html
    assert html.index('id="support_and_contributions"') < html.index('name="decision"')
    assert 'hx-post="/hints/language?field=worries"' in html
    assert 'hx-trigger="keyup changed delay:500ms"' in html


def test_the_record_follows_the_guides_numbering_with_point_six_in_two_fields():
    points = [label.split(".")[0] for _, label in SEVEN_STEPS]
    assert points == ["Point 2", "Point 3", "Point 4", "Point 5", "Point 6", "Point 6 (continued)",
                      "Point 7"]
    # The stored field keys are unchanged (no data migration).
    assert [name for name, _ in SEVEN_STEPS] == [
        "family_description", "children_views", "worries", "impact", "family_reflections",
        "what_better_looks_like", "support_and_contributions"]


async def test_record_and_conference_pages_introduce_the_record_with_the_guides_point_one(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.chair)
    for url in (f"/conferences/{world.conference_id}/record", f"/conferences/{world.conference_id}"):
        html = (await client.get(url)).text
        intro = html.index(GUIDE_POINT_ONE)  # template text, written as-is
        labels = [html.index(label.replace("'", "&#39;")) for _, label in SEVEN_STEPS]
        assert intro < labels[0] and labels == sorted(labels), url
        assert "Step 1." not in html


async def test_saving_the_record_stores_the_steps_and_decision(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.lead)
    review_on = now.date() + timedelta(days=70)
    response = await post_as_form(client, f"/conferences/{world.conference_id}/record",
                                  _record(review_on))
    assert response.status_code == 303, response.text[:800]
    assert response.headers["location"] == f"/conferences/{world.conference_id}?saved=record"
    row = await Conference.select().where(Conference.id == world.conference_id).first()
    assert row["worries"] == STEPS["worries"] and row["next_review_on"] == review_on
    assert row["decision"] == "cp_plan" and row["categories"] == "neglect"
    assert await AuditEvent.exists().where(
        (AuditEvent.record_type == "conference") & (AuditEvent.channel == "web")
        & (AuditEvent.actor_user_id == world.lead.id))
    page = await client.get(f"/conferences/{world.conference_id}")
    assert STEPS["children_views"] in page.text and "Child protection plan" in page.text


async def test_blaming_wording_is_flagged_on_save_with_a_reframe(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.lead)
    blaming = "I am worried your lack of engagement means the children will continue to be at risk"
    await post_as_form(client, f"/conferences/{world.conference_id}/record",
                       _record(now.date() + timedelta(days=70), worries=blaming))
    page = await client.get(f"/conferences/{world.conference_id}")
    assert "A thought on wording" in page.text and "Consider:" in page.text


async def test_bad_record_input_comes_back_with_errors_and_nothing_lost(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.lead)
    response = await post_as_form(client, f"/conferences/{world.conference_id}/record",
                                  _record(now.date() + timedelta(days=70), categories=[]))
    assert response.status_code == 400
    assert 'href="#categories"' in response.text and "govuk-error-summary" in response.text
    for text in STEPS.values():
        assert text.replace("'", "&#39;") in response.text
    response = await post_as_form(client, f"/conferences/{world.conference_id}/record", {
        **_record(now.date()), "next_review-day": "31", "next_review-month": "2"})
    assert response.status_code == 400 and 'href="#next_review"' in response.text
    response = await post_as_form(client, f"/conferences/{world.conference_id}/record",
                                  _record(now.date() + timedelta(days=400)))
    assert response.status_code == 400 and "statutory interval" in response.text
    response = await post_as_form(client, f"/conferences/{world.conference_id}/record",
                                  _record(now.date() + timedelta(days=70), decision="maybe"))
    assert response.status_code == 400 and 'href="#decision"' in response.text
    row = await Conference.select().where(Conference.id == world.conference_id).first()
    assert row["worries"] == ""  # nothing written


async def test_only_lead_chair_or_admin_can_record(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.invitee)  # can see the family, may not change it
    assert (await client.get(f"/conferences/{world.conference_id}/record")).status_code == 403
    response = await post_as_form(client, f"/conferences/{world.conference_id}/record",
                                  _record(now.date() + timedelta(days=70)))
    assert response.status_code == 403
    assert (await client.get(f"/conferences/{world.conference_id}")).status_code == 200
    await as_user(client, world.outsider)
    assert (await client.get(f"/conferences/{world.conference_id}/record")).status_code == 404
    assert (await client.get(f"/conferences/{world.conference_id}")).status_code == 404
    assert (await client.get("/conferences/999999")).status_code == 404


async def test_record_without_csrf_token_is_refused(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.lead)
    await client.get("/actions")
    response = await client.post(f"/conferences/{world.conference_id}/record",
                                 data=_record(now.date() + timedelta(days=70)))
    assert response.status_code == 403


async def test_review_makes_the_revised_plan_and_shows_what_changed(client, clock):
    now = clock.now()
    world = await signable_world(now)
    # One action done before the review, the other still open.
    await service.record_progress(action_id=world.action_id, status="done", note="All calls made.",
                                  actor=SYSTEM, now=now)
    review_id = await _review_conference(world, now)
    await as_user(client, world.chair)
    page = await client.get(f"/conferences/{review_id}")
    assert "Make the revised plan" not in page.text  # no decision yet
    response = await post_as_form(client, f"/conferences/{review_id}/plan")
    assert response.status_code == 400 and "Record the conference" in response.text
    await post_as_form(client, f"/conferences/{review_id}/record",
                       _record(now.date() + timedelta(days=150)))
    page = await client.get(f"/conferences/{review_id}")
    assert "Make the revised plan" in page.text
    response = await post_as_form(client, f"/conferences/{review_id}/plan")
    assert response.status_code == 303
    new_plan = await Plan.select().where(Plan.conference == review_id).first()
    assert response.headers["location"] == f"/plans/{new_plan['id']}"
    assert new_plan["previous"] == world.plan_id and new_plan["version"] == 2
    carried = await Action.select().where(Action.plan == new_plan["id"])
    assert [a["carried_from"] for a in carried] == [world.member_action_id]
    html = (await client.get(f"/plans/{new_plan['id']}")).text
    assert "What changed at the review" in html
    assert "Carried forward (1)" in html and "Closed (1)" in html and "New (0)" in html
    # Making it twice is refused kindly.
    again = await post_as_form(client, f"/conferences/{review_id}/plan")
    assert again.status_code == 400 and "already made its plan" in again.text


async def test_making_a_plan_needs_manage_rights(client, clock):
    now = clock.now()
    world = await signable_world(now)
    review_id = await _review_conference(world, now)
    await as_user(client, world.invitee)
    assert (await post_as_form(client, f"/conferences/{review_id}/plan")).status_code == 403
    await as_user(client, world.outsider)
    assert (await post_as_form(client, f"/conferences/{review_id}/plan")).status_code == 404


async def test_language_hint_partial_flags_blame_and_is_quiet_for_neutral_text(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    response = await post_htmx(client, "/hints/language?field=worries",
                               {"worries": "Your lack of engagement puts the children at risk"})
    assert response.status_code == 200 and "<html" not in response.text
    assert "Consider:" in response.text
    response = await post_htmx(client, "/hints/language?field=note",
                               {"note": "Rosie was in class by 8:50 on four days this week."})
    assert response.status_code == 200 and response.text.strip() == ""
    response = await client.post("/hints/language?field=note", data={"note": "x"})
    assert response.status_code == 403  # no CSRF token


async def test_hints_need_a_signed_in_professional(client):
    response = await client.post("/hints/language?field=note", data={"note": "x"},
                                 headers={"HX-Request": "true"})
    assert response.status_code in (401, 403)
