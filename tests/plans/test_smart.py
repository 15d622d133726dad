"""Unit tests for the SMART check on plan actions."""

from dataclasses import replace
from datetime import date

import pytest

from tracker.plans.smart import (
    ActionFacts,
    SmartGap,
    SmartResult,
    check_action,
    frequency,
    is_vague_measure,
    vague_verb,
)

GOOD = ActionFacts(
    description="Phone the school attendance officer every Monday to agree Rosie's week",
    has_owner=True,
    success_measure="Rosie attends school every day for 6 weeks, shown by the register",
    has_outcome=True,
    due_on=date(2027, 3, 1),
    next_review_on=date(2027, 4, 12),
    owner_agreed=True,
    support_offered="The attendance officer will text a reminder on Sunday evenings",
)


def facts(**changes) -> ActionFacts:
    return replace(GOOD, **changes)


def test_a_fully_agreed_dated_measured_action_is_smart():
    result = check_action(GOOD)
    assert result.is_smart
    assert result.missing == ()
    assert result.gaps == ()


# --- specific --------------------------------------------------------------------------


def test_action_without_an_owner_is_not_specific():
    result = check_action(facts(has_owner=False))
    assert result.missing == ("specific",)
    assert result.gaps[0].reason == "Name one owner, a professional or a family member."


def test_engage_with_services_is_not_specific():
    result = check_action(facts(description="Engage with services"))
    assert result.missing == ("specific",)


@pytest.mark.parametrize(
    "description",
    [
        "Mum will engage with services",
        "The social worker will monitor the situation closely",
        "Sam will work with professionals to address the concerns",
        "Dad will try to engage with the family support worker regularly",
        "Mum and Dad will liaise with agencies as needed",
        "Parents to be aware of the concerns and the plan",
        "Mum will consider the support that is available to her",
        "The family will continue to improve things at home",
    ],
)
def test_vague_verbs_without_concrete_detail_are_not_specific(description):
    result = check_action(facts(description=description))
    assert result.missing == ("specific",)
    assert "can mean many things" in result.gaps[0].reason


@pytest.mark.parametrize(
    "description",
    [
        "Phone the school attendance officer every Monday to agree Rosie's week",
        "Support Mum to book Rosie's dental appointment by phoning the surgery",
        "Monitor Rosie's attendance register each Friday and share it with the social worker",
        "Phone the health visitor to ask what support is available for night feeds",
        "Dad will continue to attend the Tuesday drug service group at Weymouth",
        "The health visitor will visit on Tuesdays to weigh the baby",
    ],
)
def test_concrete_actions_are_specific_even_with_a_vague_verb_or_noun(description):
    assert "specific" not in check_action(facts(description=description)).missing


def test_support_mum_alone_is_not_specific():
    assert check_action(facts(description="Support Mum")).missing == ("specific",)


def test_a_description_under_four_words_is_not_specific():
    result = check_action(facts(description="Phone school weekly"))
    assert result.missing == ("specific",)
    assert "Say a little more" in result.gaps[0].reason


def test_a_blank_description_is_not_specific():
    assert check_action(facts(description="   ")).missing == ("specific",)


def test_no_owner_and_a_vague_description_give_two_specific_gaps_but_one_letter():
    result = check_action(facts(description="Monitor the situation at home", has_owner=False))
    assert [gap.letter for gap in result.gaps] == ["specific", "specific"]
    assert result.missing == ("specific",)


def test_vague_verb_names_the_verb_that_needs_detail():
    assert vague_verb("Mum will engage with services") == "engage"
    assert vague_verb("Monitor Rosie's attendance register each Friday") is None


def test_vague_noun_after_a_concrete_verb_is_not_treated_as_a_verb():
    assert vague_verb("Phone the health visitor to discuss support") is None


# --- measurable ------------------------------------------------------------------------


@pytest.mark.parametrize("measure", [None, "", "   "])
def test_action_without_a_success_measure_is_not_measurable(measure):
    result = check_action(facts(success_measure=measure))
    assert result.missing == ("measurable",)
    assert result.gaps[0].reason == "Agree how everyone will know it has happened."


@pytest.mark.parametrize(
    "measure",
    ["improvement", "Better", "as needed", "TBC", "Improvement in attendance", "More engagement"],
)
def test_vague_success_measures_are_not_measurable(measure):
    result = check_action(facts(success_measure=measure))
    assert result.missing == ("measurable",)
    assert "a number, how often, or a record" in result.gaps[0].reason


@pytest.mark.parametrize(
    "measure",
    [
        "Rosie attends 95% of school days, shown by the register",
        "Fewer missed appointments, shown in the GP record",
        "Rosie says she feels safe at home when asked at each visit",
        "Improved attendance: every day for six weeks",
    ],
)
def test_measures_with_a_number_frequency_or_record_are_measurable(measure):
    assert not is_vague_measure(measure)
    assert check_action(facts(success_measure=measure)).is_smart


# --- achievable ------------------------------------------------------------------------


def test_action_the_owner_has_not_agreed_is_not_achievable():
    result = check_action(facts(owner_agreed=False))
    assert result.missing == ("achievable",)
    assert "agree it with them" in result.gaps[0].reason
    assert "help they will be offered" not in result.gaps[0].reason


def test_unagreed_action_without_support_offered_asks_what_help_is_offered():
    result = check_action(facts(owner_agreed=False, support_offered=None))
    assert "help they will be offered" in result.gaps[0].reason


def test_agreed_action_without_support_offered_is_still_achievable():
    assert check_action(facts(support_offered=None)).is_smart


# --- relevant --------------------------------------------------------------------------


def test_action_not_linked_to_an_outcome_is_not_relevant():
    result = check_action(facts(has_outcome=False))
    assert result.missing == ("relevant",)
    assert "what better will look like for the child" in result.gaps[0].reason


# --- time-bound ------------------------------------------------------------------------


def test_action_without_a_due_date_is_not_time_bound():
    result = check_action(facts(due_on=None))
    assert result.missing == ("time_bound",)


def test_action_due_after_the_next_review_is_not_time_bound():
    result = check_action(facts(due_on=date(2027, 4, 13), next_review_on=date(2027, 4, 12)))
    assert result.missing == ("time_bound",)
    assert "12 April 2027" in result.gaps[0].reason


def test_action_due_on_the_review_day_is_time_bound():
    assert check_action(facts(due_on=date(2027, 4, 12))).is_smart


def test_action_with_a_due_date_and_no_review_booked_is_time_bound():
    assert check_action(facts(due_on=date(2030, 1, 1), next_review_on=None)).is_smart


# --- combinations and the result -------------------------------------------------------


def test_every_gap_is_reported_together_in_smart_order():
    result = check_action(
        ActionFacts(
            description="Engage with services",
            has_owner=False,
            success_measure=None,
            has_outcome=False,
            due_on=None,
            next_review_on=None,
            owner_agreed=False,
        )
    )
    assert result.missing == ("specific", "measurable", "achievable", "relevant", "time_bound")
    assert not result.is_smart


def test_missing_lists_letters_in_smart_order_whatever_the_gap_order():
    result = SmartResult(gaps=(SmartGap("time_bound", "t"), SmartGap("measurable", "m")))
    assert result.missing == ("measurable", "time_bound")


def test_two_gaps_leave_the_other_letters_alone():
    result = check_action(facts(has_outcome=False, due_on=None))
    assert result.missing == ("relevant", "time_bound")


def test_to_dict_gives_a_json_ready_summary():
    result = check_action(facts(has_outcome=False))
    assert result.to_dict() == {
        "is_smart": False,
        "missing": ["relevant"],
        "gaps": [
            {
                "letter": "relevant",
                "reason": "Link this to an outcome: what better will look like for the child.",
            }
        ],
        "routine": True,
        "frequency": "every Monday",
    }


def test_to_dict_of_a_smart_action_is_empty_of_gaps():
    assert check_action(GOOD).to_dict() == {"is_smart": True, "missing": [], "gaps": [],
                                            "routine": True, "frequency": "every Monday"}


def test_every_gap_reason_is_a_short_sentence():
    result = check_action(facts(description="Engage with services", has_owner=False,
                                success_measure="better", owner_agreed=False,
                                has_outcome=False, due_on=date(2027, 5, 1)))
    for gap in result.gaps:
        assert gap.reason.endswith(".")
        assert len(gap.reason) <= 120


# --- routines ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "how_often"),
    [
        ("Jess will walk Rosie to school each day", "each day"),
        ("Sam will phone Jess every Monday to plan the week", "every Monday"),
        ("The family support worker will visit weekly to help with meals", "weekly"),
        ("Dad will see Rosie at the contact centre twice a week", "twice a week"),
        ("Nan will collect Rosie from school on Wednesdays", "on Wednesdays"),
        ("Jess will read with Rosie each evening at bedtime", "each evening"),
        ("Dad will have Rosie every other weekend", "every other weekend"),
    ],
)
def test_a_frequency_is_read_from_the_description(description, how_often):
    assert frequency(description) == how_often


@pytest.mark.parametrize("description", ["Jess will book Rosie's dental check by Friday",
                                         "Sam will send the minutes in a week",
                                         "The review is on Monday 3 March"])
def test_a_one_off_action_has_no_frequency(description):
    assert frequency(description) is None


def test_a_routine_with_owner_measure_and_review_date_is_smart():
    result = check_action(facts(description="Jess will walk Rosie to school each day, leaving at 8.20am"))
    assert result.is_smart
    assert result.frequency == "each day"
    assert result.to_dict()["routine"] is True
    assert result.to_dict()["frequency"] == "each day"


def test_each_day_without_a_review_date_is_not_time_bound():
    result = check_action(facts(description="Jess will walk Rosie to school each day", due_on=None))
    assert result.missing == ("time_bound",)
    (gap,) = result.gaps
    assert "“each day” says how often" in gap.reason
    assert "review" in gap.reason


def test_a_one_off_action_without_a_date_still_asks_for_a_done_by_date():
    result = check_action(facts(description="Jess will book Rosie's dental check at the surgery",
                                due_on=None))
    assert [g.reason for g in result.gaps] == ["Agree a date this will be done by."]
    assert result.frequency is None
    assert result.to_dict()["routine"] is False


def test_a_routine_still_needs_an_owner_and_a_measure():
    result = check_action(facts(description="Walk Rosie to school each day with her friend Amy",
                                has_owner=False, success_measure=""))
    assert result.missing == ("specific", "measurable")
    assert result.frequency == "each day"


def test_a_routines_review_date_after_the_next_review_conference_is_flagged():
    result = check_action(facts(description="Jess will walk Rosie to school each day",
                                due_on=date(2027, 5, 1), next_review_on=date(2027, 4, 12)))
    assert result.missing == ("time_bound",)
