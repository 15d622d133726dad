"""The staff forms layer: posted data becomes typed input, or field errors with what was typed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from litestar.datastructures import UploadFile

from tracker.clock import LONDON
from tracker.errors import FieldErrors
from tracker.plans.schemas import SEVEN_STEPS, ActionIn, ActionPatch, ConferenceIn, ConferencePatch
from tracker.staff.pages import fields, forms


def _arrangement(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": "review_cp", "starts-on-day": "3", "starts-on-month": "12",
        "starts-on-year": "2026", "starts_time": "14.30", "chair": "4", "invitees": ["7", "9"],
    }
    data.update(changes)
    return data


def _action(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "outcome_id": "12", "description": "Walk Rosie to school each morning",
        "owner": "member:3", "action-due-day": "15", "action-due-month": "1",
        "action-due-year": "2027", "success_measure": "Rosie is in school by 8:50",
        "support_offered": "A bus pass from the school",
    }
    data.update(changes)
    return data


# ---------------------------------------------------------------- single fields


def test_text_takes_the_last_of_a_repeated_field_and_never_none():
    assert fields.text({"note": ["first", "second"]}, "note") == "second"
    assert fields.text({"note": []}, "note") == ""
    assert fields.text({}, "note") == ""


def test_values_reads_one_or_many_checkboxes():
    assert fields.values({"ids": "3"}, "ids") == ["3"]
    assert fields.values({"ids": ["3", "4"]}, "ids") == ["3", "4"]
    assert fields.values({}, "ids") == []


@pytest.mark.parametrize(("parts", "message"), [
    ({"day": "", "month": "", "year": ""}, "Enter the due date"),
    ({"day": "3", "month": "", "year": "2027"}, "The due date must include a day, month and year"),
    ({"day": "31", "month": "2", "year": "2027"}, "The due date must be a real date, like 27 3 2027"),
    ({"day": "3", "month": "2", "year": "27"}, "The due date must be a real date, like 27 3 2027"),
    ({"day": "x", "month": "2", "year": "2027"}, "The due date must be a real date, like 27 3 2027"),
])
def test_a_date_that_is_not_whole_or_real_says_what_to_fix(parts, message):
    assert fields.parse_date(parts, label="the due date", required=True) == (None, message)


def test_a_date_of_birth_that_is_not_real_gives_a_past_example():
    message = fields.parse_date({"day": "31", "month": "2", "year": "2019"}, label="the date of birth",
                                example="14 5 2018")
    assert message == (None, "The date of birth must be a real date, like 14 5 2018")


def test_an_optional_date_left_blank_is_no_date_and_no_error():
    assert fields.parse_date({"day": "", "month": "", "year": ""}, label="x") == (None, None)


@pytest.mark.parametrize(("raw", "expected"), [("14:30", time(14, 30)), ("14.30", time(14, 30)),
                                               ("9", time(9, 0)), ("09:05", time(9, 5))])
def test_a_time_can_be_typed_in_the_ways_people_write_it(raw, expected):
    assert fields.parse_time(raw, label="the start time") == (expected, None)


@pytest.mark.parametrize(("raw", "message"), [
    ("", "Enter the start time"),
    ("25:00", "The start time must be a real time, like 10:00 or 14:30"),
    ("2pm", "The start time must be a real time, like 10:00 or 14:30"),
    ("14:3", "The start time must be a real time, like 10:00 or 14:30"),
])
def test_a_time_that_is_missing_or_not_real_says_what_to_fix(raw, message):
    assert fields.parse_time(raw, label="the start time") == (None, message)


def test_the_owner_picker_names_a_professional_or_a_family_member():
    assert fields.owner_from("user:4") == (4, None)
    assert fields.owner_from("member:9") == (None, 9)
    assert fields.owner_from("member:") == (None, None)
    assert fields.owner_from("nobody:4") == (None, None)


async def test_only_a_chosen_file_counts_as_an_upload():
    chosen = UploadFile(content_type="application/pdf", filename="report.pdf", file_data=b"%PDF")
    empty = UploadFile(content_type="application/octet-stream", filename="", file_data=b"")
    assert fields.uploaded_file({"report": chosen}, "report") is chosen
    assert fields.uploaded_file({"report": empty}, "report") is None
    assert fields.uploaded_file({"report": "report.pdf"}, "report") is None
    await chosen.close()
    await empty.close()


# ---------------------------------------------------------------- progress on /actions


def test_a_status_and_note_become_a_progress_update():
    form = forms.progress({"status": "done", "note": "Went to the meeting"}, action_id=5)
    assert form.errors == {}
    assert form.value is not None
    assert (form.value.status, form.value.note) == ("done", "Went to the meeting")


def test_a_note_alone_keeps_the_status():
    form = forms.progress({"status": "", "note": "Phoned the school"}, action_id=5)
    assert form.value is not None and form.value.status is None


def test_an_unknown_status_is_refused_beside_that_actions_card_and_the_note_is_kept():
    form = forms.progress({"status": "finished", "note": "All sorted"}, action_id=5)
    assert form.value is None
    assert form.errors == {"status-5": "Choose one of the statuses shown."}
    assert form.echo == {"status": "finished", "note": "All sorted", "share_with_family": False}


def test_the_services_refusal_lands_beside_that_actions_card():
    form = forms.progress({"status": "done", "note": ""}, action_id=5)
    assert form.service_errors(FieldErrors({"note": "Tell us how it went"})) == {
        "note-5": "Tell us how it went"}


# ---------------------------------------------------------------- arranging a conference


def test_an_arrangement_becomes_a_new_conference_in_london_time():
    form = forms.arrangement(_arrangement(), kinds={"review_cp": "Review"})
    assert form.errors == {}
    assert form.value is not None
    conference = form.value.conference_in(family_id=2)
    assert conference == ConferenceIn(
        family_id=2, kind="review_cp", starts_at=datetime(2026, 12, 3, 14, 30, tzinfo=LONDON),
        chair_id=4, invitee_ids=[7, 9])


def test_changing_arrangements_leaves_the_kind_alone():
    form = forms.arrangement(_arrangement(kind=""), kinds=None)
    assert form.value is not None
    assert form.value.patch() == ConferencePatch(
        starts_at=datetime(2026, 12, 3, 14, 30, tzinfo=LONDON), chair_id=4, invitee_ids=[7, 9])


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"kind": "coffee"}, "kind", "Choose which kind of conference this is."),
    ({"starts-on-day": ""}, "starts-on",
     "The date of the conference must include a day, month and year"),
    ({"starts_time": ""}, "starts-time", "Enter the start time"),
    ({"invitees": ["7", "everyone"]}, "invitees", "Choose professionals from the list."),
])
def test_each_arrangement_field_says_what_to_fix(changes, field, message):
    form = forms.arrangement(_arrangement(**changes), kinds={"review_cp": "Review"})
    assert form.value is None
    assert form.errors == {field: message}


def test_the_rules_about_a_conference_are_left_to_the_service():
    # Today or later, and a chair: the service's rules (the JSON API has them too), so the
    # form passes a past date and no chair on for the service to refuse in its own words.
    form = forms.arrangement(_arrangement(**{"starts-on-year": "2020", "chair": ""}), kinds=None)
    assert form.errors == {}
    assert form.value is not None and form.value.chair_id is None
    assert form.value.starts_at.year == 2020
    assert form.service_errors(FieldErrors({"chair_id": "x"})) == {"chair": "x"}


def test_a_wrong_arrangement_is_echoed_back_as_typed():
    data = _arrangement(chair="", starts_time="25:00", invitees=["7"])
    form = forms.arrangement(data, kinds={"review_cp": "Review"})
    assert form.echo == {"kind": "review_cp",
                         "starts_on": {"day": "3", "month": "12", "year": "2026"},
                         "starts_time": "25:00", "chair": "", "invitees": ["7"], "held": False}
    assert list(form.errors) == ["starts-time"]


def test_the_services_arrangement_refusals_land_beside_the_right_fields():
    form = forms.arrangement(_arrangement(), kinds=None)
    assert form.service_errors(FieldErrors({"starts_at": "a", "invitee_ids": "b",
                                            "next_review_on": "c"})) == {
        "starts-on": "a", "invitees": "b", "next-review-on": "c"}


def test_a_stored_arrangement_fills_the_form_in_london_time():
    echo = forms.arrangement_echo(datetime(2026, 7, 1, 8, 0, tzinfo=UTC), 4, [7])  # 9am BST
    assert echo == {"kind": "", "starts_on": {"day": "1", "month": "7", "year": "2026"},
                    "starts_time": "09:00", "chair": "4", "invitees": ["7"]}
    assert forms.arrangement_echo(None, None, [])["starts_time"] == "10:00"


# ---------------------------------------------------------------- the conference record


def _record(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {name: f"About {name}" for name, _ in SEVEN_STEPS}
    data.update({"decision": "cp_plan", "categories": ["neglect", "emotional"],
                 "next_review-day": "5", "next_review-month": "3", "next_review-year": "2027"})
    data.update(changes)
    return data


def test_the_record_becomes_one_change_to_the_conference():
    form = forms.conference_record(_record())
    assert form.value is not None
    assert form.value.decision == "cp_plan"
    assert form.value.categories == ["neglect", "emotional"]
    assert form.value.next_review_on == date(2027, 3, 5)
    assert form.value.worries == "About worries"


def test_categories_are_dropped_unless_the_decision_is_a_child_protection_plan():
    form = forms.conference_record(_record(decision="cin_plan"))
    assert form.value is not None and form.value.categories == []


def test_unknown_categories_are_ignored():
    form = forms.conference_record(_record(categories=["neglect", "weather"]))
    assert form.value is not None and form.value.categories == ["neglect"]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"decision": "maybe"}, "decision", "Choose the conference's decision."),
    ({"next_review-month": "13"}, "next_review",
     "The next review date must be a real date, like 27 3 2027"),
])
def test_each_record_field_says_what_to_fix_and_every_step_is_kept(changes, field, message):
    form = forms.conference_record(_record(**changes))
    assert form.value is None
    assert form.errors == {field: message}
    assert form.echo["family_description"] == "About family_description"
    assert form.echo["categories"] == ["neglect", "emotional"]


def test_the_services_next_review_refusal_lands_beside_the_date():
    form = forms.conference_record(_record())
    assert form.service_errors(FieldErrors({"next_review_on": "Too late", "categories": "x"})) == {
        "next_review": "Too late", "categories": "x"}


# ---------------------------------------------------------------- outcomes and actions


def test_an_outcome_names_its_children_and_how_we_will_know():
    form = forms.outcome({"child_ids": ["1", "x", "2"], "statement": "Rosie is in school",
                          "measure": "95% attendance"})
    assert form.value is not None
    assert form.value.child_ids == [1, 2]
    assert form.echo["child_ids"] == ["1", "x", "2"]
    assert form.service_errors(FieldErrors({"child_ids": "Choose a child"})) == {
        "outcome-child-ids": "Choose a child"}


def test_a_new_action_becomes_the_services_action():
    form = forms.action(_action(), needs_outcome=True)
    assert form.value is not None
    assert form.value.action_in() == ActionIn(
        outcome_id=12, description="Walk Rosie to school each morning", owner_member_id=3,
        due_on=date(2027, 1, 15), success_measure="Rosie is in school by 8:50",
        support_offered="A bus pass from the school")


def test_a_changed_action_keeps_its_outcome():
    form = forms.action(_action(owner="user:4", outcome_id=""), needs_outcome=False)
    assert form.value is not None
    assert form.value.patch() == ActionPatch(
        description="Walk Rosie to school each morning", owner_user_id=4, owner_member_id=None,
        due_on=date(2027, 1, 15), success_measure="Rosie is in school by 8:50",
        support_offered="A bus pass from the school")


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"action-due-year": ""}, "action-due", "The due date must include a day, month and year"),
    ({"owner": ""}, "action-owner", forms.OWNER_MISSING),
    ({"outcome_id": ""}, "action-outcome-id", "Choose the outcome this action serves."),
])
def test_each_action_field_says_what_to_fix_and_everything_typed_is_kept(changes, field, message):
    form = forms.action(_action(**changes), needs_outcome=True)
    assert form.value is None
    assert form.errors == {field: message}
    assert form.echo["description"] == "Walk Rosie to school each morning"
    assert form.echo["due"]["day"] == "15"


def test_the_two_action_forms_put_service_refusals_beside_their_own_fields():
    refusal = FieldErrors({"owner_member_id": "a", "description": "b", "outcome_id": "c"})
    added = forms.action(_action(), needs_outcome=True)
    changed = forms.action(_action(), needs_outcome=False)
    assert added.service_errors(refusal) == {"action-owner": "a", "action-description": "b",
                                             "action-outcome-id": "c"}
    assert changed.service_errors(refusal) == {"action-owner": "a", "action-description": "b",
                                               "outcome-id": "c"}


def test_a_draft_reads_whatever_is_typed_so_far_for_the_hints():
    draft = forms.action_draft(forms.action_echo({"description": "x" * 6000, "owner": "user:2"}))
    assert len(draft.description) == 5000
    assert draft.has_owner and draft.due_on is None and draft.outcome_id is None


def test_a_stored_action_fills_the_change_form():
    echo = forms.stored_action_echo({
        "description": "Call the school", "owner_user_id": None, "owner_member_id": 3,
        "due_on": date(2027, 1, 15), "success_measure": "", "support_offered": "",
        "outcome_id": 12})
    assert echo["owner"] == "member:3" and echo["outcome_id"] == "12"
    assert forms.action_draft(echo).due_on == date(2027, 1, 15)
