"""Professionals choose how they are nudged: email, text or both (their own choice, on /profile).

The rules decide WHAT to nudge a professional about, always as an email; this module turns
those nudges into texts too (or instead) for whoever chose texts. A professional's text never
names a child, a family or a concern: it says what kind of thing is due and gives the sign-in
link (templates/messages/T.sms.txt), because work phones show texts on lock screens. The
weekly digest and the chair's summary stay emails: they are lists to read at a desk. Texts
keep the family texts' quiet hours (the dispatcher applies them to every text).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from tracker.notify.rules import Nudge
from tracker.people.tables import StaffUser

# Staff nudges that may go by text (each has a neutral templates/messages/T.sms.txt).
TEXTABLE = frozenset({"action_before", "action_due", "action_overdue", "report_due"})
CHOICES = ("email", "sms", "both")


def _as_text(nudge: Nudge) -> Nudge:
    """The same nudge as a text: its own key (a series of its own), same time and window."""
    head, occasion_day, occasion = nudge.key.rsplit(":", 2)
    return replace(nudge, key=f"{head}:sms:{occasion_day}:{occasion}", channel="sms")


def by_choice(nudges: Iterable[Nudge], choices: Mapping[int, str]) -> list[Nudge]:
    """Each professional's nudges by their choice: email (as made), text instead, or both."""
    found: list[Nudge] = []
    for nudge in nudges:
        choice = choices.get(nudge.recipient_user_id or 0, "email")
        if nudge.recipient_user_id is None or nudge.template not in TEXTABLE or choice == "email":
            found.append(nudge)
            continue
        if choice == "both":
            found.append(nudge)
        found.append(_as_text(nudge))
    return found


async def staff_choices() -> dict[int, str]:
    """Who chose texts (or both): user id to choice; everyone else is nudged by email."""
    rows = await StaffUser.select(StaffUser.id, StaffUser.nudge_by).where(
        StaffUser.nudge_by.is_in(["sms", "both"]) & (StaffUser.active == True)  # noqa: E712 - a SQL condition
    )
    return {int(r["id"]): str(r["nudge_by"]) for r in rows}
