"""Read what the core group nudges need (three queries, however many plans)."""

from __future__ import annotations

from datetime import datetime

from tracker.notify.core_group_rules import (
    CoreGroupState,
    InviteFacts,
    RhythmFacts,
    core_group_nudges_due,
)
from tracker.notify.rules import Calendar, Nudge
from tracker.notify.state import rule_settings
from tracker.plans.common import statutory_rules
from tracker.plans.core_groups import rhythm
from tracker.plans.dates import StatutoryRules
from tracker.plans.tables import CoreGroupMeeting, CoreGroupPerson, Plan
from tracker.settings import Settings


async def load_core_group_state(now: datetime, rules: StatutoryRules) -> CoreGroupState:
    """Invitations to meetings still to come, and the rhythm of every current child protection plan."""
    invited = await CoreGroupPerson.select(
        CoreGroupPerson.meeting.id.as_alias("meeting_id"),
        CoreGroupPerson.meeting.plan.as_alias("plan_id"),
        CoreGroupPerson.meeting.family.as_alias("family_id"),
        CoreGroupPerson.meeting.starts_at.as_alias("starts_at"),
        CoreGroupPerson.meeting.created_at.as_alias("arranged_at"),
        CoreGroupPerson.user,
    ).where((CoreGroupPerson.invited == True) & CoreGroupPerson.user.is_not_null()  # noqa: E712
            & (CoreGroupPerson.meeting.starts_at > now)
            & (CoreGroupPerson.meeting._.plan._.status == "active")
            & (CoreGroupPerson.meeting._.family._.status == "open"))
    plans = await Plan.select(
        Plan.id, Plan.family, Plan.family.lead_professional.as_alias("lead"),
        Plan.conference.kind.as_alias("conference_kind"),
        Plan.conference.starts_at.as_alias("conference_at"),
    ).where((Plan.status == "active") & (Plan.kind == "child_protection")
            & (Plan.family.status == "open"))
    meetings: dict[int, list[datetime]] = {}
    if plans:
        # The same plans by a join, not a list of their ids (at England's size, more
        # parameters than PostgreSQL takes in one statement).
        for row in await CoreGroupMeeting.select(
                CoreGroupMeeting.plan, CoreGroupMeeting.starts_at).where(
                (CoreGroupMeeting.plan._.status == "active")
                & (CoreGroupMeeting.plan._.kind == "child_protection")
                & (CoreGroupMeeting.plan._.family._.status == "open")):
            meetings.setdefault(row["plan"], []).append(row["starts_at"])
    facts = []
    for p in plans:
        state = rhythm(conference_kind=p["conference_kind"], conference_at=p["conference_at"],
                       meetings=meetings.get(p["id"], []), now=now, rules=rules)
        facts.append(RhythmFacts(plan_id=p["id"], family_id=p["family"], lead_user_id=p["lead"],
                                 next_by=state.next_by, booked=state.booked_at is not None))
    return CoreGroupState(
        invites=tuple(InviteFacts(meeting_id=r["meeting_id"], plan_id=r["plan_id"],
                                  family_id=r["family_id"], user_id=r["user"],
                                  starts_at=r["starts_at"], arranged_at=r["arranged_at"])
                      for r in invited),
        plans=tuple(facts),
    )


async def core_group_nudges(now: datetime, cal: Calendar, settings: Settings) -> list[Nudge]:
    """The core group nudges due at `now` (what the dispatcher adds to the rules' nudges)."""
    # Only the timings: PlanPolicy.from_settings would load the language rules on every tick.
    rules = statutory_rules(settings)
    return core_group_nudges_due(await load_core_group_state(now, rules), now, cal,
                                 rule_settings(settings))
