"""Core group meetings as read: one or several with their people and action reviews, a plan's
meetings, and what the core groups found since the conference (for the chair)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tracker.errors import NotFound
from tracker.plans.schemas import CORE_GROUP_TEXT_FIELDS
from tracker.plans.tables import CoreGroupActionReview, CoreGroupMeeting, CoreGroupPerson, Plan


async def core_group_family(meeting_id: int) -> int:
    """The family a core group meeting belongs to (NotFound when there is none)."""
    row = await CoreGroupMeeting.select(CoreGroupMeeting.family).where(
        CoreGroupMeeting.id == meeting_id).first()
    if row is None:
        raise NotFound(f"core group {meeting_id}")
    return int(row["family"])


async def core_group_views(meeting_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Several meetings with their people and action reviews, in three queries (oldest first)."""
    if not meeting_ids:
        return []
    meetings = await CoreGroupMeeting.select().where(CoreGroupMeeting.id.is_in(list(meeting_ids))
                                                     ).order_by(CoreGroupMeeting.starts_at)
    people = await CoreGroupPerson.select(
        *CoreGroupPerson.all_columns(), CoreGroupPerson.user.name.as_alias("user_name"),
        CoreGroupPerson.member.name.as_alias("member_name"),
    ).where(CoreGroupPerson.meeting.is_in(list(meeting_ids))).order_by(CoreGroupPerson.id)
    reviews = await CoreGroupActionReview.select(
        *CoreGroupActionReview.all_columns(),
        CoreGroupActionReview.action.description.as_alias("description"),
    ).where(CoreGroupActionReview.meeting.is_in(list(meeting_ids))).order_by(CoreGroupActionReview.id)
    return [_view(m, [p for p in people if p["meeting"] == m["id"]],
                  [r for r in reviews if r["meeting"] == m["id"]]) for m in meetings]


def _view(m: dict[str, Any], people: list[dict[str, Any]],
          reviews: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": m["id"], "plan_id": m["plan"], "family_id": m["family"],
        "starts_at": m["starts_at"], "arranged_by_id": m["arranged_by"],
        "invitee_ids": [p["user"] for p in people if p["user"] and p["invited"]],
        "attended_user_ids": [p["user"] for p in people if p["user"] and p["attended"]],
        "attended_member_ids": [p["member"] for p in people if p["member"] and p["attended"]],
        "people": [{"user_id": p["user"], "member_id": p["member"],
                    "name": p["user_name"] or p["member_name"] or "",
                    "invited": bool(p["invited"]), "attended": bool(p["attended"])} for p in people],
        "action_reviews": [{"action_id": r["action"], "description": r["description"] or "",
                            "status": r["status"], "note": r["note"],
                            "progress_update_id": r["progress_update"]} for r in reviews],
        **{name: m[name] for name in CORE_GROUP_TEXT_FIELDS},
        "recorded_at": m["recorded_at"], "recorded_by_id": m["recorded_by"],
    }


async def core_group_view(meeting_id: int) -> dict[str, Any]:
    """One meeting: when, who was invited and came, each action reviewed, the views."""
    views = await core_group_views([meeting_id])
    if not views:
        raise NotFound(f"core group {meeting_id}")
    return views[0]


async def list_core_groups(plan_id: int) -> list[dict[str, Any]]:
    """A plan's core group meetings, oldest first."""
    if not await Plan.exists().where(Plan.id == plan_id):
        raise NotFound(f"plan {plan_id}")
    ids = [r["id"] for r in await CoreGroupMeeting.select(CoreGroupMeeting.id).where(
        CoreGroupMeeting.plan == plan_id)]
    return await core_group_views(ids)



async def findings_since_conference(plan_ids: Sequence[int], *, now: datetime,
                                    ) -> dict[int, list[dict[str, Any]]]:
    """What the core groups found on each plan since the conference that made it: the meetings
    held and recorded, oldest first (four queries however many plans)."""
    if not plan_ids:
        return {}
    ids = [r["id"] for r in await CoreGroupMeeting.select(CoreGroupMeeting.id).where(
        CoreGroupMeeting.plan.is_in(list(plan_ids)) & (CoreGroupMeeting.starts_at <= now)
        & CoreGroupMeeting.recorded_at.is_not_null())]
    found: dict[int, list[dict[str, Any]]] = {pid: [] for pid in plan_ids}
    for view in await core_group_views(ids):
        found[view["plan_id"]].append(view)
    return found
