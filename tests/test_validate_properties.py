"""Property tests of the validation layer (tracker.validate, tracker.edge): for any input, a
plain answer or a plain-English refusal, never an exception the web layer would turn into a 500."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any, get_args, get_origin, get_type_hints

import msgspec
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tracker.edge import MAX_JSON_DEPTH, _decode_pairs, _walk
from tracker.plans import schemas
from tracker.plans.tables import Child, Family, FamilyMember
from tracker.validate import (
    EARLIEST_BIRTH,
    ID_MAX,
    DateWindow,
    add_months,
    birth_date_problem,
    check_email,
    check_text,
    expected_date_problem,
    is_id,
    normalise_mobile,
    parse_id,
    strip_controls,
    text_problem,
)
from tracker.vocabulary import LONDON

TODAY = date(2026, 11, 24)
CONTROLS = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0))]
# Text people really type: any letter, mark, number, punctuation, symbol or space (emoji,
# right-to-left scripts, combining accents), and the invisible direction marks RTL text uses.
typed_text = st.lists(
    st.characters(categories=("L", "M", "N", "P", "S", "Zs"))
    | st.sampled_from(["\u200f", "\u200e", "\u202b", "\u202c", "👪", "🏳️\u200d🌈", "👩🏽\u200d💻"]),
    max_size=120).map("".join)
rtl_text = st.text(st.characters(min_codepoint=0x0590, max_codepoint=0x06FF), min_size=1, max_size=80)
fast = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(st.integers(min_value=1, max_value=ID_MAX))
def test_every_id_a_row_can_have_reads_back(n: int) -> None:
    assert parse_id(str(n)) == n
    assert parse_id(f"  {n} ") == n
    assert is_id(n)


@fast
@given(st.integers().filter(lambda n: n < 1 or n > ID_MAX))
def test_no_id_outside_the_smaller_databases_range_is_accepted(n: int) -> None:
    assert parse_id(str(n)) is None
    assert not is_id(n)


@fast
@given(st.text(max_size=30))
def test_parse_id_never_raises_and_takes_only_ascii_digits(raw: str) -> None:
    value = parse_id(raw)
    if value is not None:
        assert raw.strip().isascii() and raw.strip().isdigit()
        assert 1 <= value <= ID_MAX


@pytest.mark.parametrize("raw", ["²", "٣", "১২", "１２", "1²", "⑦", "-1", "0", "+5", "1e3", "12 34"])
def test_unicode_digits_and_signs_are_not_ids(raw: str) -> None:
    assert parse_id(raw) is None


@fast
@given(typed_text)
def test_text_people_type_is_accepted_whatever_the_script(value: str) -> None:
    assert text_problem(value, multiline=True) is None
    assert text_problem(value, multiline=False) is None


@fast
@given(rtl_text, st.sampled_from(["\n", "\r\n", "\t"]), rtl_text)
def test_line_breaks_and_tabs_belong_only_in_multi_line_fields(a: str, sep: str, b: str) -> None:
    value = a + sep + b
    assert text_problem(value, multiline=True) is None
    assert text_problem(value, multiline=False) == "Keep this to one line."


@fast
@given(typed_text, st.sampled_from(CONTROLS), typed_text)
def test_any_control_character_is_refused_with_a_message(a: str, control: str, b: str) -> None:
    for multiline in (True, False):
        problem = text_problem(a + control + b, multiline=multiline)
        assert problem and problem.endswith(".")


@fast
@given(typed_text, st.integers(min_value=0xD800, max_value=0xDFFF), typed_text)
def test_a_lone_surrogate_is_refused_not_sent_to_the_database(a: str, code: int, b: str) -> None:
    assert text_problem(a + chr(code) + b) is not None


@fast
@given(st.text(max_size=300))
def test_strip_controls_leaves_storable_text_and_is_idempotent(value: str) -> None:
    cleaned = strip_controls(value)
    assert text_problem(cleaned) is None
    assert strip_controls(cleaned) == cleaned


@fast
@given(typed_text, st.integers(min_value=1, max_value=400))
def test_check_text_holds_text_to_its_length_and_says_so(value: str, limit: int) -> None:
    try:
        out = check_text(value, field_label="the note", required=False, max_length=limit)
    except ValueError as exc:
        assert len(value.strip()) > limit
        assert f"{limit} characters or fewer" in str(exc)
    else:
        assert out == value.strip() and len(out) <= limit


@fast
@given(st.text(max_size=40))
def test_mobile_numbers_are_e164_or_a_message(raw: str) -> None:
    try:
        out = normalise_mobile(raw)
    except ValueError as exc:
        assert str(exc).startswith(("Enter a mobile number", "This looks like a landline"))
    else:
        assert out.startswith("+") and out[1:].isdigit()


@fast
@given(st.integers(min_value=0, max_value=999), st.sampled_from(["07700 {a} {b}", "+44 7700 {a}{b}",
                                                                  "(07700) {a}-{b}", "447700{a}{b}"]))
def test_ofcoms_drama_numbers_are_accepted_however_they_are_written(n: int, layout: str) -> None:
    digits = f"900{n:03d}"
    raw = layout.format(a=digits[:3], b=digits[3:])
    assert normalise_mobile(raw) == f"+447700{digits}"


@fast
@given(st.text(max_size=80))
def test_email_is_an_address_or_a_message(raw: str) -> None:
    try:
        out = check_email(raw)
    except ValueError as exc:
        assert str(exc) == "Enter an email address, like name@example.org."
    else:
        assert "@" in out and text_problem(out, multiline=False) is None and len(out) <= 254


@fast
@given(st.dates(), st.integers(min_value=1, max_value=20))
def test_a_date_is_in_the_window_exactly_when_it_is_between_its_ends(d: date, span: int) -> None:
    window = DateWindow(today=TODAY, span_years=span)
    problem = window.problem(d, "the due date")
    assert (problem is None) == (window.earliest <= d <= window.latest)
    if problem:
        assert problem.startswith("The due date must be between")


@fast
@given(st.datetimes(), st.one_of(st.none(), st.integers(min_value=-1439, max_value=1439)))
def test_any_date_and_time_with_any_offset_is_converted_or_refused_never_an_error(
        moment: datetime, offset_minutes: int | None) -> None:
    if offset_minutes is not None:
        moment = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    utc, problem = DateWindow(today=TODAY).instant(moment, "the conference")
    assert (utc is None) != (problem is None)
    if utc is not None:
        assert utc.tzinfo is UTC
        assert DateWindow(today=TODAY).problem(utc.astimezone(LONDON).date(), "x") is None


@fast
@given(st.dates())
def test_dates_of_birth_run_from_1900_to_today(d: date) -> None:
    assert (birth_date_problem(d, TODAY) is None) == (EARLIEST_BIRTH <= d <= TODAY)


@fast
@given(st.dates())
def test_an_unborn_baby_is_expected_at_most_ten_months_ahead(d: date) -> None:
    ok = add_months(TODAY, -12) <= d <= add_months(TODAY, 10)
    assert (expected_date_problem(d, TODAY) is None) == ok


@fast
@given(st.binary(max_size=200))
def test_any_form_or_query_bytes_decode_or_say_why(raw: bytes) -> None:
    errors: dict[str, str] = {}
    pairs = _decode_pairs(raw, errors, where="form")
    for name, value in pairs:
        assert isinstance(name, str) and isinstance(value, str)
    assert set(errors) <= {"form"}


@fast
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                max_size=3),
                    max_leaves=30))
def test_every_value_of_a_json_document_is_walked_with_its_depth(doc: Any) -> None:
    seen = list(_walk(doc))
    assert seen[0] == ("", 1, doc)
    assert all(depth >= 1 for _, depth, _ in seen)


def test_deep_nesting_is_measured_without_recursion() -> None:
    doc: Any = "x"
    for _ in range(50_000):
        doc = [doc]
    assert max(depth for _, depth, _ in _walk(doc)) == 50_001 > MAX_JSON_DEPTH


def _max_lengths(struct: type[msgspec.Struct]) -> dict[str, int]:
    found = {}
    for name, hint in get_type_hints(struct, include_extras=True).items():
        for part in (hint, *get_args(hint)):
            if get_origin(part) is Annotated:
                for meta in part.__metadata__:
                    if isinstance(meta, msgspec.Meta) and meta.max_length is not None and get_args(part)[0] is str:
                        found[name] = meta.max_length
    return found


@pytest.mark.parametrize(("struct", "table"), [(schemas.MemberIn, FamilyMember), (schemas.ChildIn, Child),
                                               (schemas.FamilyIn, Family)])
def test_the_api_holds_text_to_the_same_length_as_its_column(struct: type[msgspec.Struct], table: Any) -> None:
    lengths = _max_lengths(struct)
    assert lengths, struct
    for name, limit in lengths.items():
        column = table._meta.get_column_by_name(name)
        if name == "mobile":  # typed with spaces, stored as E.164 (20)
            assert limit >= column.length
            continue
        assert limit == column.length, name


@fast
@given(st.text(alphabet=string.printable, max_size=20))
def test_id_strings_in_json_are_refused_by_the_strict_decode(raw: str) -> None:
    assume(raw.strip() != "")
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(msgspec.json.encode({"conference_id": raw, "kind": "child_protection"}),
                            type=schemas.PlanIn, strict=True)
