"""A professional's own profile: their work mobile and how they would like to be nudged.

Validate first (the mobile as family numbers are: tracker.validate.normalise_mobile), then
the change and its audit event in one transaction. Texts are the professional's own choice,
so choosing them is their consent; the dispatcher checks the choice again on sending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker import audit
from tracker.audit import Actor
from tracker.db import atomic
from tracker.errors import FieldErrors, NotFound
from tracker.people.tables import StaffUser
from tracker.validate import normalise_mobile, text_problem

NUDGE_CHOICES = {"email": "By email", "sms": "By text", "both": "By email and text"}
MOBILE_MAX = 40  # what a person might type, spaces and all; stored as E.164 (at most 16)


@dataclass(frozen=True)
class ProfileIn:
    """What the profile form posts, as typed."""

    mobile: str
    nudge_by: str


async def profile_of(user_id: int) -> dict[str, Any]:
    """The professional's own details as the profile page shows them."""
    row = await StaffUser.select(
        StaffUser.id, StaffUser.name, StaffUser.email, StaffUser.role_title, StaffUser.agency,
        StaffUser.mobile, StaffUser.nudge_by,
    ).where(StaffUser.id == user_id).first()
    if row is None:
        raise NotFound(f"user {user_id}")
    return row


def check_profile(data: ProfileIn) -> tuple[str | None, str]:
    """The mobile as E.164 (None when left empty) and the choice; FieldErrors with a message each."""
    errors: dict[str, str] = {}
    raw = data.mobile.strip()
    mobile: str | None = None
    if len(raw) > MOBILE_MAX or text_problem(raw, multiline=False):
        errors["mobile"] = "Enter a mobile number, like 07700 900123."
    elif raw:
        try:
            mobile = normalise_mobile(raw)
        except ValueError as exc:
            errors["mobile"] = str(exc)
    if data.nudge_by not in NUDGE_CHOICES:
        errors["nudge_by"] = "Choose how you would like to hear from us: by email, by text, or both."
    elif data.nudge_by != "email" and not raw and "mobile" not in errors:
        errors["mobile"] = "Enter your work mobile number, so we can text you."
    if errors:
        raise FieldErrors(errors)
    return mobile, data.nudge_by


async def update_profile(*, user_id: int, data: ProfileIn, now: datetime, actor: Actor) -> dict[str, Any]:
    """Save the professional's mobile and choice (audited when anything changed); the new profile."""
    mobile, nudge_by = check_profile(data)
    async with atomic():
        before = await profile_of(user_id)
        changes = {name: [before[name], value] for name, value in
                   (("mobile", mobile), ("nudge_by", nudge_by)) if before[name] != value}
        if changes:
            await StaffUser.update({StaffUser.mobile: mobile, StaffUser.nudge_by: nudge_by}).where(
                StaffUser.id == user_id)
            await audit.record(actor=actor, now=now, record_type="staff_user", record_id=user_id,
                               action="update", changes=changes)
    return await profile_of(user_id)
