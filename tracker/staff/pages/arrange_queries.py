"""Read models for arranging a conference and changing an action."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from tracker.plans import service
from tracker.plans.common import PlanPolicy
from tracker.plans.tables import Plan
from tracker.staff.pages.common_queries import arranging_people, family_row, owner_choices
from tracker.vocabulary import CONFERENCE_KIND_WORDS, PLAN_KIND_WORDS


async def arrange_choices(family_id: int, policy: PlanPolicy, *, search: str = "",
                          keep: Iterable[int] = ()) -> dict[str, Any]:
    """What the arrange-a-conference form offers: chairs, professionals (those working with the
    family, those chosen, a search's finds), the statutory hint."""
    plan = await Plan.select(Plan.id, Plan.conference).where(
        (Plan.family == family_id) & (Plan.status == "active")).first()
    current = await service.conference_view(plan["conference"], policy=policy) if plan else None
    return {
        "family": await family_row(family_id),
        **await arranging_people(family_id, search=search, keep=keep),
        "kinds": list(CONFERENCE_KIND_WORDS.items()),
        "report_days": policy.statutory.report_working_days_before,
        "current_plan": plan,
        "agreed_review_on": current["next_review_on"] if current else None,
        "latest_review_on": current["statutory"]["latest_next_review_on"] if current else None,
    }


async def action_edit(action_id: int, today: date, *, search: str = "",
                      keep: Iterable[int] = ()) -> dict[str, Any]:
    """An action with its plan, family and the people who could own it, for the edit page."""
    action = await service.action_view(action_id, today=today)
    plan = await service.plan_view(action["plan_id"], today=today)
    return {
        "action": action,
        "plan": {"id": plan["id"], "status": plan["status"],
                 "next_review_on": plan["next_review_on"]},
        "family": await family_row(plan["family_id"]),
        "owners": await owner_choices(
            plan["family_id"], search=search,
            keep=[*keep, *([action["owner_user_id"]] if action["owner_user_id"] else [])]),
        "kind_words": PLAN_KIND_WORDS.get(plan["kind"], plan["kind"]),
    }
