"""The family record forms: a new family, its details, an adult, a child.

Each reader turns posted form data into the same typed input the JSON API takes (FamilyIn,
FamilyPatch, MemberIn, ChildIn), or field errors, plus what was typed to show again. Only
what the form itself can know is checked here (a real date, a choice from the list, an id);
every rule about the values (lengths, characters, numbers, date ranges) is the service's
(tracker/plans/families.py), and `Form.service_errors` puts its answers beside the fields.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from tracker.plans.schemas import ChildIn, FamilyIn, FamilyPatch, MemberIn, PreferredChannel
from tracker.staff.pages.fields import FormData, date_fields, date_parts, int_or_none, parse_date, text
from tracker.staff.pages.forms import Form

CHANNELS = (("sms", "Text message"), ("email", "Email"), ("none", "Do not send messages"))
LANGUAGES = (("en", "English"), ("cy", "Welsh (Cymraeg)"), ("pl", "Polish (Polski)"),
             ("ro", "Romanian (Română)"), ("ur", "Urdu (اردو)"), ("ar", "Arabic (العربية)"))
YES_NO = (("yes", "Yes"), ("no", "No"))


def page_field(name: str) -> str:
    """The page's field id for a service field name, e.g. members[0].mobile -> mobile."""
    return name.rsplit(".", 1)[-1].replace("_", "-")


def _yes_no(data: FormData, name: str, errors: dict[str, str], question: str) -> bool | None:
    raw = text(data, name)
    if raw not in dict(YES_NO):
        errors[name.replace("_", "-")] = f"Choose yes or no: {question}"
        return None
    return raw == "yes"


# ---------------------------------------------------------------- the family


def new_family(data: FormData) -> Form[FamilyIn]:
    """Open a family: its name, the authority's reference, and who leads."""
    echo = {name: text(data, name) for name in ("name", "reference", "lead")}
    errors: dict[str, str] = {}
    lead = int_or_none(echo["lead"])
    if lead is None:
        errors["lead"] = "Choose the lead professional from the list."
    value = FamilyIn(name=echo["name"], reference=echo["reference"], lead_professional_id=lead)
    return Form(echo=echo, value=None if errors else value, errors=errors,
                field_id=_family_field)


def family_details(data: FormData) -> Form[FamilyPatch]:
    """Change a family's name, reference or lead professional."""
    form = new_family(data)
    if form.value is None:
        return Form(echo=form.echo, errors=form.errors, field_id=_family_field)
    value = FamilyPatch(name=form.value.name, reference=form.value.reference,
                        lead_professional_id=cast(int, form.value.lead_professional_id))
    return Form(echo=form.echo, value=value, field_id=_family_field)


def _family_field(name: str) -> str:
    return "lead" if name == "lead_professional_id" else page_field(name)


# ---------------------------------------------------------------- an adult


MEMBER_TEXT = ("name", "relationship", "mobile", "email", "preferred_channel", "language")
MEMBER_CHOICES = ("sms_consent", "safe_to_contact", "interpreter_needed")


def member(data: FormData, *, member_id: int | None = None) -> Form[MemberIn]:
    """An adult: name, relationship, how to reach them, consent, safety, language."""
    echo: dict[str, Any] = {name: text(data, name) for name in (*MEMBER_TEXT, *MEMBER_CHOICES)}
    errors: dict[str, str] = {}
    channel = echo["preferred_channel"]
    if channel not in dict(CHANNELS):
        errors["preferred-channel"] = "Choose how they would like to hear from us."
    language = echo["language"]
    if language not in dict(LANGUAGES):
        errors["language"] = "Choose a language from the list."
    consent = _yes_no(data, "sms_consent", errors, "have they agreed to texts?")
    safe = _yes_no(data, "safe_to_contact", errors, "is it safe to contact them?")
    interpreter = _yes_no(data, "interpreter_needed", errors, "do they need an interpreter?")
    if errors or consent is None or safe is None or interpreter is None:
        return Form(echo=echo, errors=errors, field_id=page_field)
    value = MemberIn(
        id=member_id, name=echo["name"], relationship=echo["relationship"],
        mobile=echo["mobile"].strip() or None, email=echo["email"].strip() or None,
        preferred_channel=cast(PreferredChannel, channel), sms_consent=consent,
        safe_to_contact=safe, language=language, interpreter_needed=interpreter)
    return Form(echo=echo, value=value, field_id=page_field)


def member_echo(m: dict[str, Any] | None) -> dict[str, Any]:
    """The adult form filled from what is stored (or the defaults for a new adult)."""
    if m is None:
        return {"name": "", "relationship": "", "mobile": "", "email": "",
                "preferred_channel": "sms", "language": "en", "sms_consent": "",
                "safe_to_contact": "yes", "interpreter_needed": "no"}
    return {
        "name": m["name"], "relationship": m["relationship"], "mobile": m["mobile"] or "",
        "email": m["email"] or "", "preferred_channel": m["preferred_channel"],
        "language": m["language"], "sms_consent": "yes" if m["sms_consent"] else "no",
        "safe_to_contact": "yes" if m["safe_to_contact"] else "no",
        "interpreter_needed": "yes" if m["interpreter_needed"] else "no",
    }


# ---------------------------------------------------------------- a child


def _child_field(name: str) -> str:
    field = page_field(name)
    return {"date-of-birth": "born-on", "expected-on": "expected-on"}.get(field, field)


def child(data: FormData, *, child_id: int | None = None) -> Form[ChildIn]:
    """A child with their date of birth, or an unborn baby with the expected date."""
    name, born_on, expected_on = (text(data, "name"), date_fields(data, "born-on"),
                                  date_fields(data, "expected-on"))
    echo: dict[str, Any] = {"name": name, "born_on": born_on, "expected_on": expected_on}
    errors: dict[str, str] = {}
    born, problem = parse_date(born_on, label="the date of birth", example="14 5 2018")
    if problem:
        errors["born-on"] = problem
    expected, problem = parse_date(expected_on, label="the expected date")
    if problem:
        errors["expected-on"] = problem
    if errors:
        return Form(echo=echo, errors=errors, field_id=_child_field)
    value = ChildIn(id=child_id, name=name, date_of_birth=born, expected_on=expected)
    return Form(echo=echo, value=value, field_id=_child_field)


def child_echo(c: dict[str, Any] | None) -> dict[str, Any]:
    """The child form filled from what is stored (or blank)."""
    born: date | None = c["date_of_birth"] if c else None
    expected: date | None = c["expected_on"] if c else None
    return {"name": c["name"] if c else "", "born_on": date_parts(born),
            "expected_on": date_parts(expected)}
