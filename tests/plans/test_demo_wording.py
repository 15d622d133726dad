"""The demo's words pass the checks: what the family reads is plain English and restorative,
and the conference record is restorative."""

import pytest

from tracker.demo import ACTIONS, OUTCOMES, PROGRESS_NOTES, RECORD, family_facing_texts
from tracker.demo_voice import ROUTINE_CHECK_IN, family_facing_voice_texts
from tracker.plans.language import check_text
from tracker.plans.plain_english import READING_AGE_TARGET, check_wording, reading_age


def test_every_outcome_and_action_text_is_collected():
    texts = family_facing_texts()
    assert len(texts) == 2 * len(OUTCOMES) + 2 * len(ACTIONS) + sum(1 for _, a in ACTIONS if a.get("support"))


@pytest.mark.parametrize("text", family_facing_texts() + family_facing_voice_texts())
def test_family_facing_demo_text_passes_the_plain_english_and_restorative_checks(text):
    result = check_wording(text, "family")
    assert result["findings"] == [], text


def test_the_demo_plan_as_a_whole_reads_at_nine_or_under():
    assert reading_age(" ".join(family_facing_texts())) <= READING_AGE_TARGET


@pytest.mark.parametrize("text", list(RECORD.values()) + list(PROGRESS_NOTES.values()))
def test_the_demo_conference_record_and_notes_are_restorative(text):
    assert check_text(text) == [], text


def test_the_family_side_of_the_demo_reads_at_nine_or_under_and_its_check_in_names_no_one():
    assert reading_age(" ".join(family_facing_voice_texts())) <= READING_AGE_TARGET
    assert RECORD["children_views"] in family_facing_voice_texts()  # shared on the family's page
    assert RECORD["family_reflections"] in family_facing_voice_texts()
    assert not any(name in ROUTINE_CHECK_IN.lower() for name in ("jess", "rosie", "alfie", "taylor"))
