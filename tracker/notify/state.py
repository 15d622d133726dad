"""Read the plan state the nudge rules need, as plain values (one query per kind of record)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from piccolo.table import Table

from tracker.clock import local_date
from tracker.notify.rules import (
    ActionFacts,
    ConferenceFacts,
    InviteeFacts,
    MemberFacts,
    OnError,
    PlanState,
    RuleSettings,
)
from tracker.plans.tables import Action, Conference, ConferenceInvitee, FamilyMember, Plan
from tracker.settings import Settings
from tracker.vocabulary import OPEN_STATUSES


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


async def _rows(table: type[Table], columns: Sequence[Any], where: Any, kind: str,
                on_error: OnError | None) -> list[dict[str, Any]]:
    """The rows; if reading them all at once fails, read them one by one and skip the bad ones.

    A value the database holds but Python cannot represent (a date beyond year 9999 written past
    the checks) fails the whole query; read row by row, only that row is lost, and reported.
    """
    try:
        return await table.select(*columns).where(where)
    except Exception:
        if on_error is None:
            raise
    pk = table._meta.primary_key
    rows: list[dict[str, Any]] = []
    for found in await table.select(pk.as_alias("pk")).where(where):
        row_id = found["pk"]
        try:
            row = await table.select(*columns).where(where & (pk == row_id)).first()
        except Exception as exc:  # noqa: BLE001 - one unreadable row must not hide the rest
            on_error(kind, row_id, exc)
            continue
        if row is not None:
            rows.append(row)
    return rows


async def load_state(now: datetime, on_error: OnError | None = None,
                     due_window: tuple[date, date] | None = None) -> PlanState:
    """Open actions on current plans of open families, conferences to come, and family members.

    With `on_error`, a row that cannot be read is reported and left out; the rest still load.
    With `due_window` (tracker.notify.rules.due_window), only the actions due inside it and the
    steps that repeat (routines, which have no due date) are read: no other has a nudge open now.
    """
    which = (Action.status.is_in(sorted(OPEN_STATUSES)) & (Action.plan._.status == "active")
             & (Action.plan._.family._.status == "open"))
    if due_window is not None:
        earliest, latest = due_window
        which = which & (((Action.due_on >= earliest) & (Action.due_on <= latest))
                         | Action.due_on.is_null() | (Action.repeats != ""))
    actions = await _rows(Action, (
        Action.id, Action.plan, Action.plan._.family.as_alias("family_id"),
        Action.plan._.family._.name.as_alias("family_name"), Action.description, Action.due_on,
        Action.status, Action.owner_user, Action.owner_member, Action.updated_at,
        Action.repeats, Action.repeat_days, Action.review_on, Action.check_in, Action.created_at,
    ), which, "action", on_error)
    since = now - timedelta(days=1)
    conferences = await _rows(Conference, (
        Conference.id, Conference.family, Conference.family.name.as_alias("family_name"),
        Conference.kind, Conference.starts_at, Conference.chair, Conference.decision,
    ), (Conference.starts_at > since) & (Conference.family.status == "open"),
        "conference", on_error)
    invitees: dict[int, list[InviteeFacts]] = {}
    if conferences:
        # The same conferences by a join, not a list of their ids: at England's size that list
        # (tens of thousands) is more parameters than PostgreSQL takes in one statement.
        for row in await _rows(ConferenceInvitee, (
            ConferenceInvitee.conference, ConferenceInvitee.user, ConferenceInvitee.report_due_on,
            ConferenceInvitee.report_submitted_at,
        ), (ConferenceInvitee.conference._.starts_at > since)
                & (ConferenceInvitee.conference._.family._.status == "open"),
                "conference_invitee", on_error):
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
                repeats=a["repeats"], repeat_days=a["repeat_days"], review_on=a["review_on"],
                check_in=a["check_in"],
                created_on=local_date(a["created_at"]) if a["created_at"] else None,
            )
            for a in actions
        ),
        conferences=tuple(
            ConferenceFacts(
                id=c["id"], family_id=c["family"], family_name=c["family_name"], kind=c["kind"],
                starts_at=c["starts_at"], chair_id=c["chair"], plan_id=plans.get(c["family"]),
                invitees=tuple(invitees.get(c["id"], ())), recorded=c["decision"] is not None,
            )
            for c in conferences
        ),
        members=tuple(
            MemberFacts(id=m["id"], family_id=m["family"], name=m["name"],
                        preferred_channel=m["preferred_channel"])
            for m in members
        ),
    )
