"""Read models for the core group pages and the plan page's core group panel."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from tracker.clock import local_date
from tracker.errors import NotFound
from tracker.plans import core_group_views, core_groups, service
from tracker.plans.common import PlanPolicy
from tracker.plans.tables import CoreGroupMeeting, Family, FamilyMember, Plan
from tracker.staff.pages import pickers
from tracker.staff.pages.common_queries import start_of_day
from tracker.vocabulary import OPEN_STATUSES, PLAN_KIND_WORDS, STATUS_WORDS


async def plan_panel(plan_id: int, today: date, policy: PlanPolicy) -> dict[str, Any]:
    """The plan page's core groups: the meetings, and by when the next one should meet.

    A meeting today counts as booked, one before today as held.
    """
    rhythm = await core_groups.plan_rhythm(plan_id, now=start_of_day(today), policy=policy)
    meetings = await CoreGroupMeeting.select(
        CoreGroupMeeting.id, CoreGroupMeeting.starts_at, CoreGroupMeeting.recorded_at,
    ).where(CoreGroupMeeting.plan == plan_id).order_by(CoreGroupMeeting.starts_at)
    return {"meetings": meetings, "next_by": rhythm.next_by, "booked_at": rhythm.booked_at,
            "overdue": rhythm.overdue(today)}


async def arrange_page(plan_id: int, today: date, policy: PlanPolicy, *, arranger: int,
                       search: str = "", keep: Iterable[int] = ()) -> dict[str, Any]:
    """What the arrange form shows: the plan, the family, when it is due, and who can be
    invited: the professionals working with the family (not the person arranging it, who is
    there anyway), anyone already ticked, and a search's finds."""
    plan = await Plan.select(Plan.id, Plan.kind, Plan.family).where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    family = await Family.select(Family.id, Family.name).where(Family.id == plan["family"]).first()
    people = await pickers.people_around(plan["family"], search=search, keep=keep)
    return {"plan": plan, "family": family,
            "kind_words": PLAN_KIND_WORDS.get(plan["kind"], plan["kind"]),
            "panel": await plan_panel(plan_id, today, policy),
            "professionals": [p for p in people["staff"] if p["id"] != arranger],
            "found": [p for p in people["found"] if p["id"] != arranger],
            "invitee_search": people["search"]}


async def record_page(meeting_id: int, now: datetime) -> dict[str, Any]:
    """What the record page shows: the meeting, the plan's open actions, who could have come."""
    meeting = await core_group_views.core_group_view(meeting_id)
    today = local_date(now)
    plan = await service.plan_view(meeting["plan_id"], today=today)
    family = await Family.select(Family.id, Family.name, Family.lead_professional).where(
        Family.id == meeting["family_id"]).first()
    reviewed = {r["action_id"] for r in meeting["action_reviews"]}
    open_actions = [a for o in plan["outcomes"] for a in o["actions"]
                    if a["status"] in OPEN_STATUSES and a["id"] not in reviewed]
    members = await FamilyMember.select(FamilyMember.id, FamilyMember.name,
                                        FamilyMember.relationship).where(
        FamilyMember.family == meeting["family_id"]).order_by(FamilyMember.id)
    professionals = {p["id"]: p for p in await service.staff_directory()}
    wanted: set[int] = set(meeting["invitee_ids"]) | set(meeting["attended_user_ids"]) | {
        a["owner_user_id"] for a in open_actions if a["owner_user_id"]}
    if family and family["lead_professional"]:
        wanted.add(family["lead_professional"])
    return {
        "meeting": meeting, "plan": plan, "family": family, "open_actions": open_actions,
        "members": members,
        "professionals": [professionals[i] for i in sorted(wanted) if i in professionals],
        "started": meeting["starts_at"] <= now,
        "statuses": [(s, STATUS_WORDS[s]) for s in ("not_started", "in_progress", "done",
                                                     "not_achieved", "cancelled")],
        "kind_words": PLAN_KIND_WORDS.get(plan["kind"], plan["kind"]),
    }
