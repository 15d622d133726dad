"""Field checks shared by the API and the web forms: plain-English messages, nothing written."""

from __future__ import annotations

import re

import phonenumbers

OFCOM_DRAMA = re.compile(r"^\+447700900\d{3}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_mobile(raw: str, region: str = "GB") -> str:
    """A mobile number as E.164 (+447700900123); raises ValueError with a message to show."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("Enter a mobile number, like 07700 900123.") from exc
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # Ofcom reserves 07700 900000-900999 for drama: valid here so the demo and tests can
    # never text a real person, although libphonenumber calls the range unallocated.
    if OFCOM_DRAMA.match(e164):
        return e164
    if not phonenumbers.is_valid_number(number):
        raise ValueError("Enter a mobile number, like 07700 900123.")
    kind = phonenumbers.number_type(number)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValueError("This looks like a landline: texts need a mobile number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_email(raw: str) -> str:
    """A trimmed email address; raises ValueError with a message to show."""
    value = raw.strip()
    if len(value) > 254 or not EMAIL_RE.match(value):
        raise ValueError("Enter an email address, like name@example.org.")
    return value


def check_text(
    raw: str, *, field_label: str, required: bool = True, max_length: int = 2000
) -> str:
    """Trimmed text within a length limit; raises ValueError with a message to show."""
    value = raw.strip()
    if required and not value:
        raise ValueError(f"Enter {field_label}.")
    if len(value) > max_length:
        raise ValueError(
            f"{field_label[0].upper()}{field_label[1:]} must be {max_length} characters or fewer."
        )
    return value
