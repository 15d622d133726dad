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

from tests.support.factories import POLICY, make_world
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
    actions.append(await service.add_action(policy=POLICY,
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
                    await service.update_action(policy=POLICY, action_id=action_id, actor=actor, now=now,
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


async def test_reports_sent_at_once_each_record_the_file_the_one_before_left(migrated, clock):
    """Twelve sends of one report at once (a double-click, two tabs): each audit event's old
    file is the file the previous send stored, so the trail and the replaced files agree."""
    from tracker.plans.tables import ConferenceInvitee

    now = clock.now()
    world = await make_world(now)
    actor = Actor.user(world.invitee.id, world.invitee.name, channel="web")

    async def send(n: int) -> str | None:
        await asyncio.sleep(0)
        return await service.mark_report_submitted(
            conference_id=world.conference_id, user_id=world.invitee.id, actor=actor, now=now,
            file_path=f"reports/{n}.pdf")

    replaced = await asyncio.gather(*(send(n) for n in range(12)))
    row = await ConferenceInvitee.select().where(
        (ConferenceInvitee.conference == world.conference_id)
        & (ConferenceInvitee.user == world.invitee.id)).first()
    events = await AuditEvent.select(AuditEvent.changes).where(
        (AuditEvent.record_type == "conference_invitee") & (AuditEvent.record_id == row["id"])
    ).order_by(AuditEvent.id)
    sends = [json.loads(e["changes"]) for e in events]
    chain = [c["report_file"] for c in sends if "report_file" in c]
    assert len(chain) == 12
    assert chain[0][0] is None
    for before, after in zip(chain, chain[1:], strict=False):
        assert after[0] == before[1], chain  # each starts from what the one before left
    assert row["report_file"] == chain[-1][1]
    # Every stored file but the last was handed back once, to be deleted.
    assert sorted(r for r in replaced if r) == sorted(c[1] for c in chain[:-1])
