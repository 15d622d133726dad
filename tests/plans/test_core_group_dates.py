"""The core group rhythm: the first within the set working days of an initial conference, then at
most the interval apart (pure dates, and the settings passed down)."""

from datetime import UTC, date, datetime

from tracker.plans.common import PlanPolicy, working_calendar
from tracker.plans.core_groups import rhythm
from tracker.plans.dates import StatutoryRules, next_core_group_by
from tracker.settings import Settings

RULES = StatutoryRules()
CAL = working_calendar()


def test_the_first_core_group_is_due_ten_working_days_after_an_initial_conference():
    # Tuesday 17 November 2026 + 10 working days = Tuesday 1 December.
    assert next_core_group_by(conference_kind="initial_cp", conference_on=date(2026, 11, 17),
                              last_meeting_on=None, cal=CAL, rules=RULES) == date(2026, 12, 1)


def test_christmas_bank_holidays_push_the_first_core_group_back():
    # Friday 18 December 2026: 25 and 28 December and 1 January are bank holidays.
    assert next_core_group_by(conference_kind="initial_cp", conference_on=date(2026, 12, 18),
                              last_meeting_on=None, cal=CAL, rules=RULES) == date(2027, 1, 6)


def test_later_core_groups_are_at_most_six_weeks_apart():
    assert next_core_group_by(conference_kind="initial_cp", conference_on=date(2026, 11, 17),
                              last_meeting_on=date(2026, 12, 1), cal=CAL,
                              rules=RULES) == date(2027, 1, 12)


def test_after_a_review_the_interval_runs_from_the_review():
    assert next_core_group_by(conference_kind="review_cp", conference_on=date(2027, 2, 16),
                              last_meeting_on=date(2027, 1, 12), cal=CAL,
                              rules=RULES) == date(2027, 3, 30)


def test_a_due_by_date_on_a_weekend_or_bank_holiday_moves_back_to_the_working_day_before():
    # A meeting held on Saturday 14 November 2026: six weeks on is Saturday 26 December.
    assert next_core_group_by(conference_kind="initial_cp", conference_on=date(2026, 11, 10),
                              last_meeting_on=date(2026, 11, 14), cal=CAL,
                              rules=RULES) == date(2026, 12, 24)
    # Six weeks after Monday 16 November is Monday 28 December, a bank holiday (Boxing Day's substitute).
    assert next_core_group_by(conference_kind="initial_cp", conference_on=date(2026, 11, 10),
                              last_meeting_on=date(2026, 11, 16), cal=CAL,
                              rules=RULES) == date(2026, 12, 24)


def test_the_interval_is_a_setting_passed_down_to_the_rules():
    policy = PlanPolicy.from_settings(Settings(core_group_interval_weeks=4))
    assert policy.statutory.core_group_interval_weeks == 4
    assert next_core_group_by(conference_kind="initial_cp", conference_on=date(2026, 11, 17),
                              last_meeting_on=date(2026, 12, 1), cal=CAL,
                              rules=policy.statutory) == date(2026, 12, 29)


def test_a_booked_meeting_means_nothing_is_overdue_and_the_last_held_one_sets_the_date():
    conference = datetime(2026, 11, 17, 10, tzinfo=UTC)
    now = datetime(2027, 1, 20, 10, tzinfo=UTC)
    none_yet = rhythm(conference_kind="initial_cp", conference_at=conference, meetings=[], now=now,
                      rules=RULES)
    assert none_yet.next_by == date(2026, 12, 1) and none_yet.overdue(now.date())
    held = datetime(2026, 12, 1, 10, tzinfo=UTC)
    booked = datetime(2027, 1, 25, 10, tzinfo=UTC)
    state = rhythm(conference_kind="initial_cp", conference_at=conference, meetings=[booked, held],
                   now=now, rules=RULES)
    assert state.next_by == date(2027, 1, 12) and state.booked_at == booked
    assert state.last_met_at == held and not state.overdue(now.date())
