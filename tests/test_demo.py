"""The demo's family side, read back through the same use-cases the pages use: who reads Jess's
words (the one visibility rule), and what Jess sees on her page."""

from __future__ import annotations

from tests.support.factories import POLICY, WINDOWS
from tracker.clock import local_date
from tracker.demo import DEMO_FAMILY, HELEN, SAM
from tracker.demo_voice import (
    HELEN_SHARED_NOTE,
    JESS,
    JESS_TO_EVERYONE,
    JESS_TO_SAM,
    ROUTINE_STEP,
    SAM_REPLY,
    seed_full_demo,
)
from tracker.family.conversation import plan_messages
from tracker.family.our_plan import theirs
from tracker.family.service import family_page
from tracker.family.sessions import FamilyAccess
from tracker.people.tables import StaffUser
from tracker.plans.tables import FamilyMember, Plan


async def demo_ids(clock) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    """(plan, Jess, Sam, Helen): the demo is written once per test database, whichever test asks."""
    await seed_full_demo(now=clock.now(), policy=POLICY, windows=WINDOWS)
    plan = await Plan.select(Plan.id).where(
        (Plan.family.name == DEMO_FAMILY) & (Plan.status == "active")).first()
    jess = await FamilyMember.select(FamilyMember.id).where(
        (FamilyMember.family.name == DEMO_FAMILY) & (FamilyMember.name == JESS)).first()
    staff = {r["email"]: r["id"] for r in await StaffUser.select(StaffUser.id, StaffUser.email)}
    return plan["id"], jess["id"], staff[SAM], staff[HELEN]


async def test_helen_cannot_read_what_jess_wrote_to_sam_only(migrated, clock):
    plan_id, _, sam, helen = await demo_ids(clock)
    helen_reads = [m["body"] for m in await plan_messages(plan_id, reader_id=helen)]
    sam_reads = [m["body"] for m in await plan_messages(plan_id, reader_id=sam)]
    assert JESS_TO_SAM not in helen_reads and SAM_REPLY not in helen_reads
    assert JESS_TO_EVERYONE in helen_reads
    assert {JESS_TO_SAM, SAM_REPLY, JESS_TO_EVERYONE} <= set(sam_reads)


async def test_jess_sees_the_reply_the_shared_note_her_routine_and_the_shared_words(migrated, clock):
    plan_id, jess, _, _ = await demo_ids(clock)
    family = await FamilyMember.select(FamilyMember.family).where(FamilyMember.id == jess).first()
    access = FamilyAccess(session_id=0, member_id=jess, member_name=JESS, language="en",
                          family_id=family["family"], plan_id=plan_id)
    page = await family_page(access, now=clock.now(), today=local_date(clock.now()))
    said = [(m["from_us"], m["body"]) for m in page["conversation"]]
    assert (False, JESS_TO_SAM) in said and (True, SAM_REPLY) in said
    notes = [n["note"] for a in page["professional_actions"] for n in a["shared_notes"]]
    assert HELEN_SHARED_NOTE in notes
    routine = [a for a in page["my_actions"] if a["description"] == ROUTINE_STEP]
    assert routine and routine[0]["how_often"] and routine[0]["review_on"] is not None
    words = await theirs(access)
    assert "Rosie" in words["children_words"] and "Linda" in words["family_strengths"]
