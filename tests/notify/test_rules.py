"""Nudge rules and quiet hours: pure functions of plan state and `now`, no database, no clock patching."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from tracker.notify.quiet import SendWindows
from tracker.notify.rules import (
    ActionFacts,
    ConferenceFacts,
    InviteeFacts,
    MemberFacts,
    PlanState,
    RuleSettings,
    all_nudges,
    nudges_due,
)
from tracker.plans.dates import WorkingCalendar

CAL = WorkingCalendar.england()
CFG = RuleSettings()
LONDON = CFG.tz
JESS = MemberFacts(id=7, family_id=1, name="Jess Taylor", preferred_channel="sms")
LINDA = MemberFacts(id=8, family_id=1, name="Linda Taylor", preferred_channel="email")


def local(d: date, h: int = 9, m: int = 30) -> datetime:
    return datetime.combine(d, time(h, m), LONDON).astimezone(UTC)


def action(**kw) -> ActionFacts:
    base = dict(id=11, plan_id=3, family_id=1, family_name="Taylor", description="Walk Rosie to school",
                due_on=date(2026, 12, 8), status="in_progress", owner_member_id=JESS.id,
                updated_on=date(2026, 11, 20))
    base.update(kw)
    return ActionFacts(**base)


def due(state: PlanState, now: datetime) -> list:
    return nudges_due(state, now, CAL, CFG)


def keys(state: PlanState, now: datetime) -> set[str]:
    return {n.key for n in due(state, now)}


# ----------------------------------------------------------------- actions


def test_family_member_is_reminded_two_days_before_by_text_with_no_description():
    state = PlanState(actions=(action(),), members=(JESS,))
    assert due(state, local(date(2026, 12, 6), 9, 29)) == []
    [n] = due(state, local(date(2026, 12, 6)))
    assert n.rule == "action_before" and n.channel == "sms" and n.template == "member_action_before"
    assert n.recipient_member_id == JESS.id and n.due_at == local(date(2026, 12, 6))
    assert "description" not in n.context and n.context["needs_link"] is True


def test_member_who_prefers_email_is_reminded_by_email():
    state = PlanState(actions=(action(owner_member_id=LINDA.id),), members=(JESS, LINDA))
    [n] = due(state, local(date(2026, 12, 6), 12))
    assert n.channel == "email" and n.recipient_member_id == LINDA.id


def test_professional_is_reminded_five_working_days_before_by_email():
    # Due Tuesday 8 December: five working days before is Tuesday 1 December.
    state = PlanState(actions=(action(owner_member_id=None, owner_user_id=5),))
    assert [n.rule for n in due(state, local(date(2026, 11, 30), 12))] == ["weekly_digest"]
    [n] = due(state, local(date(2026, 12, 1)))
    assert (n.rule, n.channel, n.template, n.recipient_user_id) == ("action_before", "email",
                                                                     "action_before", 5)
    assert n.context["description"] == "Walk Rosie to school"


def test_owner_is_nudged_on_the_due_day():
    state = PlanState(actions=(action(),), members=(JESS,))
    [n] = due(state, local(date(2026, 12, 8), 10))
    assert n.rule == "action_due" and n.key.endswith(":due")


def test_overdue_action_nudges_owner_weekly_until_updated_at_most_four_times():
    state = PlanState(actions=(action(due_on=date(2026, 12, 4)),), members=(JESS,))  # a Friday
    sent = []
    day = date(2026, 12, 4)
    while day < date(2027, 2, 1):
        for n in due(state, local(day, 12)):
            if n.rule == "action_overdue" and n.key not in sent:
                sent.append(n.key)
                assert local(day, 12) >= n.due_at
        day += timedelta(days=1)
    assert [k.rsplit(":", 1)[1] for k in sent] == ["n1", "n2", "n3", "n4"]
    firsts = [n.due_at for n in all_nudges(state, local(date(2026, 12, 20)), CAL, CFG)
              if n.rule == "action_overdue"]
    # The next working day (Monday 7 December), then weekly.
    assert firsts == [local(date(2026, 12, 7) + timedelta(days=7 * i)) for i in range(4)]


def test_an_update_after_the_due_date_stops_overdue_nudges():
    updated = action(due_on=date(2026, 12, 4), updated_on=date(2026, 12, 9))
    state = PlanState(actions=(updated,), members=(JESS,))
    assert any(n.rule == "action_overdue" for n in due(state, local(date(2026, 12, 7), 12)))
    assert not any(n.rule == "action_overdue" for n in due(state, local(date(2026, 12, 14), 12)))


def test_done_or_cancelled_action_has_no_nudges_so_pending_ones_are_cancelled():
    for status in ("done", "cancelled", "not_achieved"):
        state = PlanState(actions=(action(status=status),), members=(JESS,))
        assert due(state, local(date(2026, 12, 8), 10)) == []


def test_a_new_due_date_gives_new_keys_so_the_old_nudge_is_replaced():
    now = local(date(2026, 12, 6), 12)
    [old] = due(PlanState(actions=(action(),), members=(JESS,)), now)
    [new] = due(PlanState(actions=(action(due_on=date(2026, 12, 7)),), members=(JESS,)), now)
    assert old.rule == new.rule == "action_before"
    # The same nudge series, about another date: the dispatcher cancels the old row as
    # "rescheduled" and inserts the new one.
    assert old.series == new.series and old.key != new.key
    assert "2026-12-07" in new.key and new.context["due_on"] == date(2026, 12, 7)


def test_rules_are_idempotent_for_the_same_state_and_time():
    state = PlanState(actions=(action(), action(id=12, owner_member_id=None, owner_user_id=5)),
                      members=(JESS,))
    now = local(date(2026, 12, 8), 10)
    assert due(state, now) == due(state, now)


# ----------------------------------------------------------------- conferences

REVIEW = ConferenceFacts(
    id=21, family_id=1, family_name="Taylor", kind="review_cp",
    starts_at=local(date(2026, 12, 17), 10, 0), chair_id=9, plan_id=3,
    invitees=(InviteeFacts(user_id=5, report_due_on=date(2026, 12, 15), submitted=False),
              InviteeFacts(user_id=6, report_due_on=date(2026, 12, 15), submitted=True)),
)


def test_invited_professional_is_asked_for_their_report_until_they_submit_it():
    state = PlanState(conferences=(REVIEW,))
    early = [n for n in due(state, local(date(2026, 12, 8))) if n.rule == "report_due"]
    # Five working days before Tuesday 15 December is Tuesday 8 December.
    assert [(n.recipient_user_id, n.key.rsplit(":", 1)[1]) for n in early] == [(5, "early")]
    on_day = [n for n in due(state, local(date(2026, 12, 15), 11)) if n.rule == "report_due"]
    assert [n.context["on_the_day"] for n in on_day] == [True]
    submitted = ConferenceFacts(**{**REVIEW.__dict__, "invitees": (
        InviteeFacts(user_id=5, report_due_on=date(2026, 12, 15), submitted=True),)})
    assert not [n for n in due(PlanState(conferences=(submitted,)), local(date(2026, 12, 15), 11))
                if n.rule == "report_due"]


def test_chair_gets_the_summary_link_when_the_report_deadline_passes():
    state = PlanState(conferences=(REVIEW,))
    # Deadline: 2 working days before Thursday 17 December = Tuesday 15th; passes at midnight.
    assert not [n for n in due(state, local(date(2026, 12, 15), 23)) if n.rule == "chair_summary"]
    [n] = [n for n in due(state, local(date(2026, 12, 16), 8)) if n.rule == "chair_summary"]
    assert n.recipient_user_id == 9 and n.channel == "email" and n.context["plan_id"] == 3
    assert n.context["reports_in"] == 1 and n.context["reports_expected"] == 2


def test_family_hears_about_the_review_a_week_and_a_day_before():
    state = PlanState(conferences=(REVIEW,), members=(JESS, LINDA))
    week = [n for n in due(state, local(date(2026, 12, 10))) if n.rule == "review_coming"]
    assert {(n.recipient_member_id, n.channel, n.context["days_before"]) for n in week} == {
        (JESS.id, "sms", 7), (LINDA.id, "email", 7)}
    day = [n for n in due(state, local(date(2026, 12, 16))) if n.rule == "review_coming"]
    assert {n.context["days_before"] for n in day} == {1}
    assert not [n for n in due(state, local(date(2026, 12, 17), 11)) if n.rule == "review_coming"]


def test_no_review_reminders_for_an_initial_conference():
    initial = ConferenceFacts(**{**REVIEW.__dict__, "kind": "initial_cp"})
    state = PlanState(conferences=(initial,), members=(JESS,))
    rules = {n.rule for n in due(state, local(date(2026, 12, 16)))}
    assert "review_coming" not in rules and "chair_summary" not in rules


def test_professionals_get_a_weekly_digest_on_monday_at_eight():
    state = PlanState(actions=(
        action(owner_member_id=None, owner_user_id=5, due_on=date(2026, 12, 4)),
        action(id=12, owner_member_id=None, owner_user_id=5, due_on=date(2027, 1, 4)),
    ))
    monday = date(2026, 12, 7)
    assert not [n for n in due(state, local(monday, 7, 59)) if n.rule == "weekly_digest"]
    [n] = [n for n in due(state, local(monday, 8, 0)) if n.rule == "weekly_digest"]
    assert n.recipient_user_id == 5 and n.context["overdue_count"] == 1
    assert len(n.context["actions"]) == 2 and n.key.endswith("2026-W50:digest")
    assert not [n for n in due(state, local(monday + timedelta(days=1), 8, 30))
                if n.rule == "weekly_digest"]


# ----------------------------------------------------------------- quiet hours

W = SendWindows()


def no_holidays(d: date) -> bool:
    return False


def cal_holidays(d: date) -> bool:
    return d.weekday() < 5 and not CAL.is_working_day(d)


def test_texts_wait_for_nine_and_stop_at_seven_in_the_evening():
    tue = date(2026, 11, 24)
    assert W.next_allowed("sms", local(tue, 8, 59), no_holidays) == local(tue, 9, 0)
    assert W.allowed("sms", local(tue, 9, 0), no_holidays)
    assert W.allowed("sms", local(tue, 18, 59), no_holidays)
    assert W.next_allowed("sms", local(tue, 19, 0), no_holidays) == local(tue + timedelta(days=1), 9, 0)


def test_emails_may_go_from_seven():
    tue = date(2026, 11, 24)
    assert W.next_allowed("email", local(tue, 6, 0), no_holidays) == local(tue, 7, 0)
    assert W.allowed("email", local(tue, 7, 0), no_holidays)


def test_no_texts_on_sunday_but_emails_are_fine():
    sat_night = local(date(2026, 11, 28), 20, 0)
    assert W.next_allowed("sms", sat_night, no_holidays) == local(date(2026, 11, 30), 9, 0)
    sunday = local(date(2026, 11, 29), 10, 0)
    assert not W.allowed("sms", sunday, no_holidays)
    assert W.allowed("email", sunday, no_holidays)


def test_no_texts_on_bank_holidays():
    # Christmas Day 2026 is a Friday, Boxing Day a Saturday (substitute Monday 28 December).
    christmas_eve_evening = local(date(2026, 12, 24), 19, 30)
    assert W.next_allowed("sms", christmas_eve_evening, cal_holidays) == local(date(2026, 12, 26), 9, 0)
    assert W.next_allowed("sms", local(date(2026, 12, 27), 10), cal_holidays) == local(date(2026, 12, 29), 9, 0)


def test_quiet_hours_follow_the_clock_change_in_march_and_october():
    # 29 March 2026: clocks go forward; 09:00 London is 08:00 UTC the next day (BST).
    assert W.next_allowed("sms", datetime(2026, 3, 28, 19, 30, tzinfo=UTC), cal_holidays) == \
        datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert not W.allowed("sms", datetime(2026, 3, 30, 7, 30, tzinfo=UTC), cal_holidays)
    # 25 October 2026: clocks go back; Monday 09:00 London is 09:00 UTC again.
    assert W.next_allowed("sms", datetime(2026, 10, 24, 18, 30, tzinfo=UTC), cal_holidays) == \
        datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
    assert W.allowed("sms", datetime(2026, 10, 23, 17, 59, tzinfo=UTC), cal_holidays)  # 18:59 BST
    assert not W.allowed("sms", datetime(2026, 10, 23, 18, 0, tzinfo=UTC), cal_holidays)  # 19:00 BST
