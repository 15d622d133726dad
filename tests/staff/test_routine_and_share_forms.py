"""Staff forms: an action can be a routine step; the chair marks what the family's page shows."""

from __future__ import annotations

from datetime import date, timedelta

from tests.support.staff_pages import as_user, post_as_form, signable_world
from tracker.audit import AuditEvent
from tracker.plans.tables import Conference
from tracker.staff.pages import forms


def _action(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "outcome_id": "12", "description": "Walk Rosie to school each morning", "owner": "member:3",
        "success_measure": "Rosie is in school by 8:50", "support_offered": "",
        "repeats": "each_day", "action-review-day": "29", "action-review-month": "1",
        "action-review-year": "2027", "check_in": "your mornings",
    }
    data.update(changes)
    return data


def test_a_routine_needs_no_due_date_but_a_review_by_date():
    form = forms.action(_action(), needs_outcome=True)
    assert form.errors == {} and form.value is not None
    new = form.value.action_in()
    assert (new.repeats, new.review_on, new.due_on, new.check_in) == (
        "each_day", date(2027, 1, 29), None, "your mornings")
    missing = forms.action(_action(**{"action-review-day": "", "action-review-month": "",
                                      "action-review-year": ""}), needs_outcome=True)
    assert missing.errors == {"action-review": "Enter the review-by date"}


def test_a_one_off_step_still_needs_its_due_date_and_days_are_read_in_week_order():
    once = forms.action(_action(repeats=""), needs_outcome=True)
    assert "action-due" in once.errors
    days = forms.action(_action(repeats="days", repeat_days=["wed", "mon", "xyz"]), needs_outcome=True)
    assert days.value is not None and days.value.action_in().repeat_days == ["wed", "mon"]


async def test_the_chair_shares_the_childrens_words_from_the_record_page(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.chair)
    page = await client.get(f"/conferences/{world.conference_id}/record")
    assert "Share the children's words (point 3) on the family's page" in page.text
    review_on = now.date() + timedelta(days=70)
    response = await post_as_form(client, f"/conferences/{world.conference_id}/record", {
        "children_views": "Rosie wants to walk to school with Mum.", "decision": "cp_plan",
        "categories": ["neglect"], "share": ["share_children_views"],
        "next_review-day": str(review_on.day), "next_review-month": str(review_on.month),
        "next_review-year": str(review_on.year)})
    assert response.status_code == 303, response.text[:800]
    row = await Conference.select().where(Conference.id == world.conference_id).first()
    assert row["share_children_views"] is True and row["share_family_reflections"] is False
    [event] = [e for e in await AuditEvent.select().where(
        (AuditEvent.record_type == "conference") & (AuditEvent.record_id == world.conference_id)
        & (AuditEvent.channel == "web")) if "share_children_views" in e["changes"]]
    assert event["actor_user_id"] == world.chair.id
    again = await client.get(f"/conferences/{world.conference_id}/record")
    assert 'value="share_children_views" checked' in again.text
