"""Read models for the plan page: the plan, its pictures, what the review changed, owners."""

from __future__ import annotations

from datetime import date
from typing import Any

from tracker.people.caller import Caller
from tracker.plans import handover, service
from tracker.plans.access import can_manage_family
from tracker.plans.routines import how_often
from tracker.plans.tables import Action, Child, Conference, Family
from tracker.staff.pages.common_queries import (
    names_for,
    owner_choices,
    plan_pictures,
)
from tracker.vocabulary import PLAN_KIND_WORDS


async def revision_changes(plan: dict[str, Any]) -> dict[str, list[dict[str, Any]]] | None:
    """What a review changed: actions carried forward, closed (left behind), and new."""
    if not plan["previous_plan_id"]:
        return None
    current = [a for o in plan["outcomes"] for a in o["actions"]]
    carried_ids = {a["carried_from"] for a in current if a["carried_from"]}
    previous = await Action.select(Action.id, Action.description, Action.status).where(
        Action.plan == plan["previous_plan_id"]).order_by(Action.id)
    return {
        "carried": [a for a in current if a["carried_from"]],
        "closed": [a for a in previous if a["id"] not in carried_ids],
        "new": [a for a in current if not a["carried_from"]],
    }


def often_words(action: dict[str, Any]) -> str | None:
    """A routine step's rhythm for its card ("Each day", "Mondays and Thursdays"), else None."""
    days = action["repeat_days"]
    words = how_often(action["repeats"], days if isinstance(days, str) else ",".join(days))
    if words is None:
        return None
    words = words.removeprefix("on ")
    return words[:1].upper() + words[1:]


async def plan_page(plan_id: int, caller: Caller, today: date) -> dict[str, Any]:
    """Everything the plan page shows."""
    plan = await service.plan_view(plan_id, today=today)
    for outcome in plan["outcomes"]:
        for action in outcome["actions"]:
            action["often"] = often_words(action)
    family = await Family.select(Family.id, Family.name).where(
        Family.id == plan["family_id"]).first()
    conference = await Conference.select(Conference.id, Conference.kind,
                                         Conference.starts_at).where(
        Conference.id == plan["conference_id"]).first()
    return {
        "plan": plan, "family": family, "conference": conference,
        "kind_words": PLAN_KIND_WORDS.get(plan["kind"], plan["kind"]),
        "names": await names_for(plan),
        "changes": await revision_changes(plan),
        "pictures": await plan_pictures(plan, today),
        "can_manage": await can_manage_family(caller, plan["family_id"]),
        "owners": await owner_choices(plan["family_id"]),
        "children": await Child.select(Child.id, Child.name).where(
            Child.family == plan["family_id"]).order_by(Child.id),
        **await leaver_context(plan["family_id"], caller),
    }


async def leaver_context(family_id: int, caller: Caller) -> dict[str, Any]:
    """The leaver flag for one family (staff/partials/leaver_flag.html), and whether the viewer
    may hand the work on (an admin or the family's lead)."""
    flag = (await handover.flags_for_families([family_id])).get(family_id)
    return {"leaver_flag": flag,
            "leaver_names": await handover.leaver_names([flag] if flag else []),
            "can_hand_over": caller.is_admin or family_id in await handover.lead_family_ids(caller.id)}
