"""Core group nudges (pure): invitations to a meeting, and the lead's reminder when the next
one is due and none is booked.

Like tracker.notify.rules: plain facts and `now` in, the messages that should exist out, each
with a unique key (the occasion carries the date it is about, so a moved meeting invites again
and a new due date reminds again, while re-running never makes a second row). Only the
standard library and the rules' own types are used here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tracker.notify.rules import Calendar, Nudge, RuleSettings

CORE_GROUP_RULES = ("core_group_invite", "core_group_due")
REMIND_WORKING_DAYS_BEFORE = 5
"""The lead is reminded this many working days before the next core group is due."""
REMIND_FOR = timedelta(days=28)
"""A reminder not yet sent this long after the due date is no longer worth sending."""


@dataclass(frozen=True)
class InviteFacts:
    """A professional invited to a core group meeting still to come."""

    meeting_id: int
    plan_id: int
    family_id: int
    user_id: int
    starts_at: datetime
    arranged_at: datetime


@dataclass(frozen=True)
class RhythmFacts:
    """A current child protection plan: when its next core group is due, and whether one is booked."""

    plan_id: int
    family_id: int
    lead_user_id: int | None
    next_by: date
    booked: bool


@dataclass(frozen=True)
class CoreGroupState:
    """Everything the core group rules read."""

    invites: tuple[InviteFacts, ...] = ()
    plans: tuple[RhythmFacts, ...] = ()


def _at(day: date, cfg: RuleSettings) -> datetime:
    return datetime.combine(day, cfg.nudge_time, cfg.tz).astimezone(UTC)


def invite_nudges(invites: Iterable[InviteFacts], now: datetime) -> list[Nudge]:
    """Each invitee of a meeting still to come: one invitation per date and time of the meeting."""
    found = []
    for inv in invites:
        if inv.starts_at <= now:
            continue
        occasion = inv.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
        found.append(Nudge(
            key=f"core_group_invite:core_group:{inv.meeting_id}:user:{inv.user_id}:{occasion}:invite",
            rule="core_group_invite", channel="email", template="core_group_invite",
            context={"meeting_id": inv.meeting_id, "plan_id": inv.plan_id,
                     "family_ref": f"F{inv.family_id}", "starts_at": inv.starts_at},
            due_at=min(inv.arranged_at, now), until=inv.starts_at, family_id=inv.family_id,
            recipient_user_id=inv.user_id,
        ))
    return found


def due_nudges(plans: Iterable[RhythmFacts], cal: Calendar, cfg: RuleSettings) -> list[Nudge]:
    """The lead: the next core group is due soon (or past due) and none is booked."""
    found = []
    for plan in plans:
        if plan.booked or plan.lead_user_id is None:
            continue
        remind_on = cal.add_working_days(plan.next_by, -REMIND_WORKING_DAYS_BEFORE)
        found.append(Nudge(
            key=(f"core_group_due:plan:{plan.plan_id}:user:{plan.lead_user_id}:"
                 f"{plan.next_by.isoformat()}:due"),
            rule="core_group_due", channel="email", template="core_group_due",
            context={"plan_id": plan.plan_id, "family_ref": f"F{plan.family_id}",
                     "next_by": plan.next_by},
            due_at=_at(remind_on, cfg), until=_at(plan.next_by + REMIND_FOR, cfg),
            family_id=plan.family_id, recipient_user_id=plan.lead_user_id,
        ))
    return found


def core_group_nudges_due(state: CoreGroupState, now: datetime, cal: Calendar,
                          cfg: RuleSettings) -> list[Nudge]:
    """The core group nudges whose window is open at `now`."""
    found = invite_nudges(state.invites, now) + due_nudges(state.plans, cal, cfg)
    return [n for n in found if n.due_at <= now < n.until]
