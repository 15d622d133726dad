"""Property tests for the field checks (tracker/validate.py): whatever is typed, a check
either gives back a clean value or refuses it with a message to show — never anything else —
for phone numbers, email addresses and text in any script, with emoji, at and past its limit."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tracker.validate import check_email, check_text, normalise_mobile

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MOBILE_MESSAGE = "Enter a mobile number, like 07700 900123."
LANDLINE_MESSAGE = "This looks like a landline: texts need a mobile number."

# Text people write: any script (Arabic and Hebrew run right to left), emoji (some are several
# code points joined), combining accents, and the marks that steer direction.
RTL_WORDS = ["مرحبا", "שלום", "سلام عليكم", "ماما", "אמא", "١٢٣", "کودک"]
EMOJI = ["🙂", "👩‍👧‍👦", "🏳️‍🌈", "👍🏽", "❤️", "🇬🇧"]
MARKS = ["\u200f", "\u200e", "\u202b", "\u202c", "\u0301", "\u200d"]
words = st.one_of(
    st.sampled_from(RTL_WORDS + EMOJI + MARKS + ["Rosie", "Jess", "école", "Zoë"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=12),
)
people_text = st.lists(words, min_size=1, max_size=12).map(" ".join)


def _drama_digits() -> st.SearchStrategy[str]:
    return st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")


@st.composite
def drama_mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """A number in Ofcom's drama range as people type it, and its E.164 form."""
    last = draw(_drama_digits())
    typed = draw(st.sampled_from([
        f"07700 900{last}", f"07700900{last}", f"+44 7700 900{last}", f"+447700900{last}",
        f"(07700) 900 {last}", f"07700-900-{last}", f" 07700 900 {last} ", f"0044 7700 900{last}",
    ]))
    return typed, f"+447700900{last}"


@settings(max_examples=200, deadline=None)
@given(drama_mobiles())
def test_a_drama_mobile_typed_any_usual_way_is_one_e164_number(pair: tuple[str, str]) -> None:
    typed, e164 = pair
    assert normalise_mobile(typed) == e164


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\A\+?[0-9 ()\-]{0,20}\Z"),
    st.builds(lambda d: "07" + d, st.from_regex(r"\A[0-9]{9}\Z")),
    people_text,
))
@example("")
@example("٠٧٧٠٠ ٩٠٠١٢٣")  # Arabic-Indic digits
@example("07700 900123 🙂")
@example("+44 20 7946 0123")  # a London landline (Ofcom's drama range for London)
def test_a_mobile_is_e164_or_a_message(raw: str) -> None:
    try:
        value = normalise_mobile(raw)
    except ValueError as exc:
        assert str(exc) in {MOBILE_MESSAGE, LANDLINE_MESSAGE}
        return
    assert E164.match(value), value
    assert normalise_mobile(value) == value  # stable: checking it again changes nothing
    number = phonenumbers.parse(value)
    assert value.startswith("+447700900") or phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def test_a_landline_is_refused_with_its_own_message() -> None:
    with pytest.raises(ValueError, match="landline"):
        normalise_mobile("020 7946 0123")


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(max_size=300),
    st.builds(lambda a, b, c: f"{a}@{b}.{c}", people_text, people_text, people_text),
    st.emails().map(str),
))
@example("عائشة@مثال.شبكة")
@example("jess@example.org\u200f")
@example(" " * 3 + "a@b.co" + " " * 3)
@example("a" * 243 + "@example.org")  # 255 characters
def test_an_email_address_is_trimmed_or_refused(raw: str) -> None:
    try:
        value = check_email(raw)
    except ValueError as exc:
        assert str(exc) == "Enter an email address, like name@example.org."
        return
    assert value == raw.strip()
    assert len(value) <= 254 and value.count("@") == 1 and not any(c.isspace() for c in value)


@settings(max_examples=300, deadline=None)
@given(people_text, st.integers(min_value=1, max_value=300))
def test_text_in_any_script_is_kept_as_typed_up_to_its_limit(text: str, limit: int) -> None:
    trimmed = text.strip()
    try:
        value = check_text(text, field_label="the family's name", max_length=limit)
    except ValueError as exc:
        assert (str(exc) == "Enter the family's name." and not trimmed) or (
            str(exc) == f"The family's name must be {limit} characters or fewer."
            and len(trimmed) > limit)
        return
    assert value == trimmed and 0 < len(value) <= limit
    assert check_text(value, field_label="the family's name", max_length=limit) == value


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(RTL_WORDS + EMOJI), st.integers(min_value=1, max_value=60))
def test_the_limit_counts_characters_not_bytes(unit: str, limit: int) -> None:
    """A column holds `limit` characters (as PostgreSQL counts them), however many bytes."""
    exact = (unit * limit)[:limit]
    if exact != exact.strip():  # a direction mark at an end would be trimmed away
        return
    assert check_text(exact, field_label="a note", max_length=limit) == exact
    over = exact + "x"
    with pytest.raises(ValueError, match=f"A note must be {limit} characters or fewer."):
        check_text(over, field_label="a note", max_length=limit)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=" \t\n\r\u00a0\u2003\u3000", max_size=20))
def test_blank_text_of_any_kind_of_space_is_refused_when_required(blank: str) -> None:
    with pytest.raises(ValueError, match="Enter a description."):
        check_text(blank, field_label="a description")
    assert check_text(blank, field_label="a description", required=False) == ""
