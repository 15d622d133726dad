"""An exact audit trail under concurrency: 32 people changing a few actions' status at once.

Every status change reads the action inside its transaction, under a row lock (PostgreSQL
SELECT … FOR UPDATE; SQLite's IMMEDIATE transaction), so each progress update's `from_status`
is the previous update's `to_status` and the audit events say the same (issue 11 part 4: 30 of
612 changes recorded a status that was not the real previous one).
"""

from __future__ import annotations

import asyncio
import json
import random

from tests.support.factories import make_world
from tracker.audit import Actor
from tracker.errors import FieldErrors
from tracker.plans import service
from tracker.plans.schemas import ActionIn, ActionPatch
from tracker.plans.tables import Action, AuditEvent, ProgressUpdate

UPDATERS = 32
ROUNDS = 6
STATUSES = ("not_started", "in_progress", "done", "not_achieved")


async def test_each_status_change_starts_from_the_status_the_previous_one_left(migrated, clock):
    now = clock.now()
    world = await make_world(now)
    actions = [world.action_id, world.member_action_id]
    actions.append(await service.add_action(
        plan_id=world.plan_id, actor=Actor.system("tests"), now=now,
        data=ActionIn(outcome_id=world.outcome_id, owner_user_id=world.lead.id,
                      description="Sam visits Jess at home every other Thursday at 4pm.")))
    refused = 0

    async def updater(n: int) -> None:
        nonlocal refused
        rng = random.Random(n)
        actor = Actor.user(world.lead.id, f"Updater {n}", channel="api")
        for i in range(ROUNDS):
            action_id = rng.choice(actions)
            status = rng.choice(STATUSES)
            try:
                if i % 3 == 2:
                    # Through the PATCH path too: it writes the same progress update.
                    await service.update_action(action_id=action_id, actor=actor, now=now,
                                                patch=ActionPatch(status=status, note=f"{n}:{i}"))
                else:
                    await service.record_progress(action_id=action_id, status=status,
                                                  note=f"{n}:{i}", actor=actor, now=now)
            except FieldErrors:
                refused += 1  # nothing is refused here: every update carries a note
            await asyncio.sleep(0)

    await asyncio.gather(*(updater(n) for n in range(UPDATERS)))

    assert refused == 0
    total_changes = 0
    for action_id in actions:
        updates = await ProgressUpdate.select().where(ProgressUpdate.action == action_id).order_by(
            ProgressUpdate.id)
        mine = [u for u in updates if ":" in u["note"]]
        assert len(mine) >= 1
        status = "not_started"
        for u in updates:
            if u["to_status"] is None:
                assert u["from_status"] is None  # a note only: no status change recorded
                continue
            assert u["from_status"] == status, (action_id, u)
            assert u["to_status"] != u["from_status"]
            status = u["to_status"]
            total_changes += 1
        final = await Action.select(Action.status).where(Action.id == action_id).first()
        assert final["status"] == status
        # The audit trail tells the same story, change by change.
        events = await AuditEvent.select(AuditEvent.changes).where(
            (AuditEvent.record_type == "action") & (AuditEvent.record_id == action_id)
            & (AuditEvent.action == "update")).order_by(AuditEvent.id)
        chain = [json.loads(e["changes"])["status"] for e in events
                 if "status" in json.loads(e["changes"])]
        status = "not_started"
        for before, after in chain:
            assert before == status
            status = after
    assert total_changes > UPDATERS  # the statuses really changed, many times over
