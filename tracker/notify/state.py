"""Read the plan state the nudge rules need, as plain values (one query per kind of record)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from tracker.clock import local_date
from tracker.notify.rules import (
    OPEN_STATUSES,
    ActionFacts,
    ConferenceFacts,
    InviteeFacts,
    MemberFacts,
    PlanState,
    RuleSettings,
)
from tracker.plans.tables import Action, Conference, ConferenceInvitee, FamilyMember, Plan
from tracker.settings import Settings


def rule_settings(settings: Settings) -> RuleSettings:
    """The rules' timings from settings."""
    return RuleSettings(
        nudge_time=time.fromisoformat(settings.nudge_time),
        professional_working_days_before=settings.professional_working_days_before,
        member_days_before=settings.member_days_before,
        report_working_days_before_deadline=settings.report_nudge_working_days,
        report_deadline_working_days=settings.report_working_days_before,
        overdue_max=settings.overdue_nudges_max,
    )


async def load_state(now: datetime) -> PlanState:
    """Open actions on current plans of open families, conferences to come, and family members."""
    actions = await Action.select(
        Action.id, Action.plan, Action.plan.family.as_alias("family_id"),
        Action.plan.family.name.as_alias("family_name"), Action.description, Action.due_on,
        Action.status, Action.owner_user, Action.owner_member, Action.updated_at,
    ).where(
        Action.status.is_in(sorted(OPEN_STATUSES))
        & (Action.plan.status == "active")
        & (Action.plan.family.status == "open")
    )
    conferences = await Conference.select(
        Conference.id, Conference.family, Conference.family.name.as_alias("family_name"),
        Conference.kind, Conference.starts_at, Conference.chair,
    ).where((Conference.starts_at > now - timedelta(days=1)) & (Conference.family.status == "open"))
    conf_ids = [c["id"] for c in conferences]
    invitees: dict[int, list[InviteeFacts]] = {}
    if conf_ids:
        for row in await ConferenceInvitee.select(
            ConferenceInvitee.conference, ConferenceInvitee.user, ConferenceInvitee.report_due_on,
            ConferenceInvitee.report_submitted_at,
        ).where(ConferenceInvitee.conference.is_in(conf_ids)):
            invitees.setdefault(row["conference"], []).append(InviteeFacts(
                user_id=row["user"], report_due_on=row["report_due_on"],
                submitted=row["report_submitted_at"] is not None))
    plans = {
        row["family"]: row["id"]
        for row in await Plan.select(Plan.id, Plan.family).where(Plan.status == "active")
    }
    members = await FamilyMember.select(
        FamilyMember.id, FamilyMember.family, FamilyMember.name, FamilyMember.preferred_channel,
    ).where(FamilyMember.family.status == "open")
    return PlanState(
        actions=tuple(
            ActionFacts(
                id=a["id"], plan_id=a["plan"], family_id=a["family_id"],
                family_name=a["family_name"], description=a["description"], due_on=a["due_on"],
                status=a["status"], owner_user_id=a["owner_user"], owner_member_id=a["owner_member"],
                updated_on=local_date(a["updated_at"]) if a["updated_at"] else None,
            )
            for a in actions
        ),
        conferences=tuple(
            ConferenceFacts(
                id=c["id"], family_id=c["family"], family_name=c["family_name"], kind=c["kind"],
                starts_at=c["starts_at"], chair_id=c["chair"], plan_id=plans.get(c["family"]),
                invitees=tuple(invitees.get(c["id"], ())),
            )
            for c in conferences
        ),
        members=tuple(
            MemberFacts(id=m["id"], family_id=m["family"], name=m["name"],
                        preferred_channel=m["preferred_channel"])
            for m in members
        ),
    )
