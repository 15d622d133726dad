"""Read models for the chair: reviews coming up, and the printable pre-review summary."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Max

from tracker.audit import AuditEvent
from tracker.clock import local_date
from tracker.people.caller import Caller
from tracker.plans import handover, service
from tracker.plans.tables import Conference, Family, Plan, PlanMessage, ProgressUpdate
from tracker.staff.pages.common_queries import (
    names_for,
    plan_pictures,
    report_counts,
    reports_for,
    start_of_day,
)
from tracker.vocabulary import CONFERENCE_KIND_WORDS, PLAN_KIND_WORDS, REVIEW_KINDS

CHAIR_WEEKS = 8
"""The chair's dashboard looks this far ahead."""



async def last_activity(family_id: int) -> datetime | None:
    """When anything about the family last changed (from the audit trail)."""
    row = await AuditEvent.select(Max(AuditEvent.at, alias="last")).where(
        AuditEvent.family_id == family_id).first()
    value = row["last"] if row else None
    if isinstance(value, str):  # SQLite hands back text for an aggregate
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


async def chair_reviews(caller: Caller, now: datetime, *,
                        weeks: int = CHAIR_WEEKS) -> list[dict[str, Any]]:
    """Review conferences the caller chairs in the next weeks, each with its plan's progress."""
    today = local_date(now)
    conferences = await Conference.select(
        Conference.id, Conference.kind, Conference.starts_at,
        Conference.family.as_alias("family_id"), Conference.family.name.as_alias("family_name"),
    ).where(
        (Conference.chair == caller.id) & Conference.kind.is_in(list(REVIEW_KINDS))
        & (Conference.starts_at >= start_of_day(today))
        & (Conference.starts_at < now + timedelta(weeks=weeks))
    ).order_by(Conference.starts_at)
    out = []
    for c in conferences:
        plan = await Plan.select(Plan.id, Plan.version).where(
            (Plan.family == c["family_id"]) & (Plan.status == "active")).first()
        progress = await service.plan_progress(plan["id"], today=today) if plan else None
        reports = await reports_for(c["id"], today)
        messages = await PlanMessage.select(
            PlanMessage.body, PlanMessage.created_at, PlanMessage.member.name.as_alias("who"),
        ).where(PlanMessage.family == c["family_id"]).order_by(
            PlanMessage.created_at, ascending=False).limit(3)
        out.append({
            **c,
            "kind_words": CONFERENCE_KIND_WORDS.get(c["kind"], c["kind"]),
            "plan": plan,
            "progress": progress,
            "reports": reports,
            "report_counts": report_counts(reports),
            "messages": messages,
            "last_activity": await last_activity(c["family_id"]),
        })
    return out


async def review_summary(plan_id: int, now: datetime) -> dict[str, Any]:
    """The pre-review summary: outcomes, every action's history, the family's voice, reports."""
    today = local_date(now)
    plan = await service.plan_view(plan_id, today=today)
    family = await Family.select(Family.id, Family.name).where(
        Family.id == plan["family_id"]).first()
    action_ids = [a["id"] for o in plan["outcomes"] for a in o["actions"]]
    history: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if action_ids:
        for r in await ProgressUpdate.select(
            ProgressUpdate.action, ProgressUpdate.from_status, ProgressUpdate.to_status,
            ProgressUpdate.note, ProgressUpdate.created_at, ProgressUpdate.channel,
            ProgressUpdate.author_user.name.as_alias("user_name"),
            ProgressUpdate.author_member.name.as_alias("member_name"),
        ).where(ProgressUpdate.action.is_in(action_ids)).order_by(
            ProgressUpdate.created_at, ProgressUpdate.id
        ):
            r["author"] = r["user_name"] or r["member_name"] or "The tracker"
            r["by_family"] = bool(r["member_name"])
            history[r["action"]].append(r)
    held = await Conference.select(
        Conference.id, Conference.kind, Conference.starts_at, Conference.family_description,
        Conference.children_views, Conference.family_reflections,
    ).where((Conference.family == plan["family_id"]) & (Conference.starts_at <= now)).order_by(
        Conference.starts_at, ascending=False).first()
    upcoming = await Conference.select(Conference.id, Conference.kind, Conference.starts_at).where(
        (Conference.family == plan["family_id"]) & (Conference.starts_at > now)).order_by(
        Conference.starts_at).first()
    reports = await reports_for(upcoming["id"], today) if upcoming else []
    messages = await PlanMessage.select(
        PlanMessage.body, PlanMessage.created_at, PlanMessage.channel,
        PlanMessage.member.name.as_alias("who"),
    ).where(PlanMessage.family == plan["family_id"]).order_by(PlanMessage.created_at)
    return {
        "plan": plan, "family": family, "history": history,
        "kind_words": PLAN_KIND_WORDS.get(plan["kind"], plan["kind"]),
        "names": await names_for(plan),
        "held": held, "upcoming": upcoming,
        "upcoming_words": CONFERENCE_KIND_WORDS.get(upcoming["kind"], "") if upcoming else "",
        "reports": reports, "report_counts": report_counts(reports),
        "messages": messages,
        "pictures": await plan_pictures(plan, today),
        "now": now,
    }


async def add_leaver_flags(reviews: list[dict[str, Any]]) -> dict[int, str]:
    """Put each review's leaver flag (work held by people who have left) on it, in one query;
    returns the leavers' names."""
    flags = await handover.flags_for_families([r["family_id"] for r in reviews])
    for r in reviews:
        r["leaver_flag"] = flags.get(r["family_id"])
    return await handover.leaver_names(list(flags.values()))
