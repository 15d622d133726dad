"""For the bad-input tables: a snapshot of everything a rejected request must leave alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.conf.apps import Finder

from tests.support.factories import POLICY, World
from tracker.clock import local_date
from tracker.family.conversation import plan_messages
from tracker.plans import service

# Counted but allowed to grow: a refused sign-in still counts towards its rate limit.
NOT_COUNTED = {"security_rate_limit_hit", "rate_limit_hit"}


@dataclass(frozen=True)
class Snapshot:
    """Row counts of every table, and the world's family, conference, plan and actions as read."""

    counts: dict[str, int]
    views: dict[str, Any]


async def snapshot(world: World, now: Any) -> Snapshot:
    """Everything a rejected request must not change."""
    counts: dict[str, int] = {}
    for table in Finder().get_table_classes():
        name = table._meta.tablename
        if name not in NOT_COUNTED:
            counts[name] = await table.count()
    today = local_date(now)
    views = {
        "family": await service.family_view(world.family["id"]),
        "conference": await service.conference_view(world.conference_id, policy=POLICY),
        "plan": await service.plan_view(world.plan_id, today=today),
        "action": await service.action_view(world.action_id, today=today),
        "updates": await service.list_updates(world.action_id, reader_id=world.lead.id),
        "messages": await plan_messages(world.plan_id, reader_id=world.lead.id),
        "audit": await service.plan_audit(world.plan_id),
    }
    return Snapshot(counts=counts, views=views)


def changed(before: Snapshot, after: Snapshot) -> list[str]:
    """What differs, named (empty when nothing was written)."""
    out = [f"{name}: {before.counts[name]} -> {after.counts.get(name)}"
           for name in before.counts if before.counts[name] != after.counts.get(name)]
    out += [f"{name} changed" for name in before.views if before.views[name] != after.views[name]]
    return out
