"""Unit tests for statutory conference dates and the England working calendar."""

from datetime import date, datetime, timedelta

import pytest

from tracker.plans import dates
from tracker.plans.dates import (
    StatutoryRules,
    WorkingCalendar,
    add_months,
    first_core_group_by,
    latest_first_review,
    latest_next_review,
    latest_review_for,
    report_due_on,
)

RULES = StatutoryRules()


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar.england()


# --- WorkingCalendar -------------------------------------------------------------------


def test_weekdays_are_working_days_and_weekends_are_not(cal):
    assert cal.is_working_day(date(2027, 3, 3))  # Wednesday
    assert not cal.is_working_day(date(2027, 3, 6))  # Saturday
    assert not cal.is_working_day(date(2027, 3, 7))  # Sunday


def test_easter_2027_good_friday_and_easter_monday_are_not_working_days(cal):
    assert not cal.is_working_day(date(2027, 3, 26))
    assert not cal.is_working_day(date(2027, 3, 29))
    assert cal.is_working_day(date(2027, 3, 25))
    assert cal.is_working_day(date(2027, 3, 30))


def test_christmas_2026_and_substitute_boxing_day_monday_are_not_working_days(cal):
    assert not cal.is_working_day(date(2026, 12, 25))  # Friday
    assert not cal.is_working_day(date(2026, 12, 28))  # Monday, Boxing Day substitute
    assert cal.is_working_day(date(2026, 12, 29))


def test_england_calendar_covers_a_year_it_was_not_preloaded_with():
    cal = WorkingCalendar.england(years=[2026])
    assert not cal.is_working_day(date(2031, 12, 25))
    assert not cal.is_working_day(date(2031, 4, 14))  # Easter Monday 2031


def test_england_calendar_does_not_use_scottish_holidays(cal):
    assert cal.is_working_day(date(2027, 1, 4))  # 2 January substitute is Scotland only
    assert cal.is_working_day(date(2027, 11, 30))  # St Andrew's Day


def test_custom_calendar_treats_given_dates_as_non_working():
    cal = WorkingCalendar([date(2027, 3, 3)])
    assert not cal.is_working_day(date(2027, 3, 3))
    assert cal.is_working_day(date(2027, 3, 26))  # no bank holidays unless given


def test_is_working_day_refuses_a_datetime(cal):
    with pytest.raises(TypeError):
        cal.is_working_day(datetime(2026, 12, 25, 9, 0))


def test_holiday_source_is_asked_once_per_year():
    calls: list[int] = []

    def source(year: int) -> list[date]:
        calls.append(year)
        return [date(year, 6, 1)]

    cal = WorkingCalendar(holidays_for_year=source)
    assert not cal.is_working_day(date(2027, 6, 1))
    assert cal.is_working_day(date(2027, 6, 2))
    assert not cal.is_working_day(date(2028, 6, 1))
    assert calls == [2027, 2028]


def test_next_working_day_skips_good_friday_weekend_and_easter_monday(cal):
    assert cal.next_working_day(date(2027, 3, 25)) == date(2027, 3, 30)


def test_previous_working_day_skips_easter_monday_and_weekend(cal):
    assert cal.previous_working_day(date(2027, 3, 30)) == date(2027, 3, 25)


def test_next_working_day_is_strictly_after_a_working_day(cal):
    assert cal.next_working_day(date(2027, 3, 3)) == date(2027, 3, 4)


def test_add_working_days_from_friday_lands_on_monday(cal):
    assert cal.add_working_days(date(2027, 3, 5), 1) == date(2027, 3, 8)


def test_add_working_days_over_christmas_2026(cal):
    # Thu 24 Dec + 1 skips Fri 25, the weekend and Mon 28 (Boxing Day substitute).
    assert cal.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)


def test_add_negative_working_days_goes_back_over_easter(cal):
    assert cal.add_working_days(date(2027, 3, 30), -1) == date(2027, 3, 25)
    assert cal.add_working_days(date(2027, 3, 30), -3) == date(2027, 3, 23)


def test_add_zero_working_days_keeps_a_working_day(cal):
    assert cal.add_working_days(date(2027, 3, 3), 0) == date(2027, 3, 3)


def test_add_zero_working_days_from_a_weekend_moves_to_the_next_working_day(cal):
    assert cal.add_working_days(date(2027, 3, 6), 0) == date(2027, 3, 8)


def test_add_zero_working_days_from_good_friday_moves_past_easter_monday(cal):
    assert cal.add_working_days(date(2027, 3, 26), 0) == date(2027, 3, 30)


def test_add_working_days_from_a_saturday_counts_from_monday(cal):
    assert cal.add_working_days(date(2027, 3, 6), 1) == date(2027, 3, 8)
    assert cal.add_working_days(date(2027, 3, 6), -1) == date(2027, 3, 5)


def test_working_days_between_counts_after_start_up_to_and_including_end(cal):
    assert cal.working_days_between(date(2027, 3, 1), date(2027, 3, 5)) == 4
    assert cal.working_days_between(date(2027, 3, 1), date(2027, 3, 1)) == 0


def test_working_days_between_skips_easter(cal):
    # Thu 25 Mar -> Tue 30 Mar 2027: only Tuesday counts.
    assert cal.working_days_between(date(2027, 3, 25), date(2027, 3, 30)) == 1


def test_working_days_between_is_negative_when_end_is_before_start(cal):
    assert cal.working_days_between(date(2027, 3, 5), date(2027, 3, 1)) == -4


def test_working_days_between_inverts_add_working_days(cal):
    start = date(2026, 12, 21)
    for n in range(-30, 31):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


# --- add_months ------------------------------------------------------------------------


def _counted_by_hand(cal: WorkingCalendar, d: date, n: int) -> date:
    """add_working_days the slow way: a day at a time, with no remembered answers."""
    step = timedelta(days=1 if n >= 0 else -1)
    if n == 0 and cal.is_working_day(d):
        return d
    left = max(abs(n), 1)
    while left:
        d += step
        left -= cal.is_working_day(d)
    return d


def test_remembered_working_day_sums_match_counting_by_hand_every_time(cal):
    days = [date(2026, 12, 1) + timedelta(days=k) for k in range(150)]
    for _ in range(2):  # the second pass answers from what the first remembered
        for d in days:
            for n in (-10, -2, -1, 0, 1, 2, 10):
                assert cal.add_working_days(d, n) == _counted_by_hand(cal, d, n), (d, n)
            assert cal.next_working_day(d) == _counted_by_hand(cal, d, 1)
            assert cal.previous_working_day(d) == _counted_by_hand(cal, d, -1)


def test_remembered_answers_are_bounded_and_a_datetime_is_still_refused(monkeypatch):
    monkeypatch.setattr(dates, "_REMEMBERED_MOVES", 5)
    cal = WorkingCalendar([date(2027, 3, 3)])
    for k in range(12):
        assert cal.add_working_days(date(2027, 3, 1) + timedelta(days=k), 1).weekday() < 5
        assert len(cal._moved) <= 5
    assert cal.add_working_days(date(2027, 3, 2), 1) == date(2027, 3, 4)
    with pytest.raises(TypeError):
        cal.add_working_days(datetime(2027, 3, 2, 9, 0), 1)


def test_add_months_keeps_the_day_of_month():
    assert add_months(date(2027, 3, 15), 3) == date(2027, 6, 15)


def test_add_months_clamps_31_january_to_28_february():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)


def test_add_months_clamps_31_january_to_29_february_in_a_leap_year():
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)


def test_add_months_from_leap_day_lands_on_28_february_next_year():
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)


def test_add_months_clamps_31_august_to_30_november():
    assert add_months(date(2027, 8, 31), 3) == date(2027, 11, 30)


def test_add_months_rolls_over_the_year():
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2027, 10, 15), 6) == date(2028, 4, 15)


def test_add_months_accepts_negative_months():
    assert add_months(date(2027, 3, 31), -1) == date(2027, 2, 28)
    assert add_months(date(2027, 1, 15), -2) == date(2026, 11, 15)


# --- statutory dates -------------------------------------------------------------------


def test_first_review_is_due_within_three_months_of_the_initial_conference():
    assert latest_first_review(date(2027, 1, 12), RULES) == date(2027, 4, 12)


def test_first_review_from_30_november_clamps_to_leap_day():
    assert latest_first_review(date(2027, 11, 30), RULES) == date(2028, 2, 29)


def test_next_review_is_due_within_six_months_of_a_review():
    assert latest_next_review(date(2027, 4, 12), RULES) == date(2027, 10, 12)


def test_next_review_from_31_august_clamps_to_end_of_february():
    assert latest_next_review(date(2027, 8, 31), RULES) == date(2028, 2, 29)


def test_local_rules_change_review_intervals():
    rules = StatutoryRules(first_review_months=2, later_review_months=4)
    assert latest_first_review(date(2027, 1, 12), rules) == date(2027, 3, 12)
    assert latest_next_review(date(2027, 1, 12), rules) == date(2027, 5, 12)


def test_report_for_a_monday_conference_is_due_the_previous_thursday(cal):
    assert report_due_on(date(2027, 3, 8), cal, RULES) == date(2027, 3, 4)


def test_report_due_skips_easter_monday_and_good_friday(cal):
    # Conference Tue 30 Mar 2027: back over Mon 29 (Easter Monday) and Fri 26 (Good Friday).
    assert report_due_on(date(2027, 3, 30), cal, RULES) == date(2027, 3, 24)


def test_report_due_skips_christmas_2026(cal):
    # Conference Tue 29 Dec 2026: back over Mon 28 and Fri 25.
    assert report_due_on(date(2026, 12, 29), cal, RULES) == date(2026, 12, 23)


def test_report_due_follows_a_local_rule_of_five_working_days(cal):
    rules = StatutoryRules(report_working_days_before=5)
    assert report_due_on(date(2027, 3, 8), cal, rules) == date(2027, 3, 1)


def test_first_core_group_is_within_ten_working_days(cal):
    assert first_core_group_by(date(2027, 3, 1), cal, RULES) == date(2027, 3, 15)


def test_first_core_group_deadline_moves_past_easter(cal):
    # Mon 22 Mar 2027 + 10 working days skips Good Friday and Easter Monday.
    assert first_core_group_by(date(2027, 3, 22), cal, RULES) == date(2027, 4, 7)


def test_initial_conference_sets_a_three_month_review():
    assert latest_review_for("initial_cp", date(2027, 1, 31), RULES) == date(2027, 4, 30)


def test_review_and_child_in_need_conferences_set_a_six_month_review():
    assert latest_review_for("review_cp", date(2027, 1, 31), RULES) == date(2027, 7, 31)
    assert latest_review_for("cin_review", date(2027, 3, 31), RULES) == date(2027, 9, 30)


def test_unknown_conference_kind_is_refused():
    with pytest.raises(ValueError, match="strategy"):
        latest_review_for("strategy", date(2027, 1, 31), RULES)
