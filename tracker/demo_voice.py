"""The demo's family side: the family's voice, a routine step, and the words the chair shares.

`tracker.demo` writes the people, the family, the conferences and the plan through the plan
use-cases; this module adds, through the family's own use-cases, what a new user should see of
the family's voice (`tracker.family`): Jess's words to Sam only and to everyone, Sam's reply,
Helen's note shared with the family, and a routine step of Jess's. It sits above the family
package (the layers in pyproject.toml), while `tracker.demo` stays below it because
`tracker family-link --demo` reads the demo's names.

Every word here that the family reads passes the plain-English and restorative checks
(tests/plans/test_demo_wording.py holds it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tracker.audit import Actor
from tracker.clock import local_date
from tracker.demo import HELEN, RECORD, SAM, DemoWritten, seed_demo
from tracker.family.conversation import add_staff_reply
from tracker.family.service import add_family_message
from tracker.family.sessions import FamilyAccess
from tracker.notify.quiet import SendWindows
from tracker.people.caller import Caller
from tracker.plans import service
from tracker.plans.common import PlanPolicy
from tracker.plans.schemas import ActionIn, Weekday
from tracker.plans.tables import Action
from tracker.plans.visibility import CORE_GROUP, LEAD

JESS = "Jess Taylor"

# Jess's words on her plan: one for Sam only, one for everyone working with the family.
JESS_TO_SAM = ("I have been feeling low since the move. Can we talk about it on your next "
               "visit?")
JESS_TO_EVERYONE = ("Rosie loves breakfast club. She is up and dressed before me most "
                    "mornings now.")
SAM_REPLY = "Thanks for telling me. Yes, let's talk on Thursday when I come round."
HELEN_SHARED_NOTE = ("Rosie was in class by 8:50 every day this week. Thank you, Jess: the "
                     "Monday calls are working well.")
DAYS_AGO = {"to_sam": 6, "to_everyone": 4, "reply": 5, "note": 3}

# A routine step of Jess's under "calm mornings": on school days, reviewed in four weeks (20 working days), with
# check-in words that name no one (a text may ask "How are your mornings going?").
ROUTINE_OUTCOME = "mornings"
ROUTINE_STEP = "Sit down for breakfast together at 7:30."
ROUTINE_MEASURE = "Jess says most school days start with breakfast together."
ROUTINE_DAYS: list[Weekday] = ["mon", "tue", "wed", "thu", "fri"]
ROUTINE_CHECK_IN = "your mornings"
ROUTINE_REVIEW_IN_WORKING_DAYS = 20


def family_facing_voice_texts() -> list[str]:
    """Every word this module adds that a family member reads (on their page or "Our plan")."""
    return [JESS_TO_SAM, JESS_TO_EVERYONE, SAM_REPLY, HELEN_SHARED_NOTE,
            ROUTINE_STEP, ROUTINE_MEASURE,
            RECORD["children_views"], RECORD["family_reflections"]]


async def _add_routine(written: DemoWritten, now: datetime, policy: PlanPolicy) -> int:
    review_on = service.working_calendar().add_working_days(
        local_date(now), ROUTINE_REVIEW_IN_WORKING_DAYS)
    return await service.add_action(
        plan_id=written.plan_id, actor=Actor.user(written.staff[SAM], "Sam Okafor", channel="web"),
        now=now, policy=policy,
        data=ActionIn(outcome_id=written.outcomes[ROUTINE_OUTCOME],
                      owner_member_id=written.members[JESS], description=ROUTINE_STEP,
                      success_measure=ROUTINE_MEASURE, repeats="days",
                      repeat_days=list(ROUTINE_DAYS), review_on=review_on,
                      check_in=ROUTINE_CHECK_IN))


async def _add_voice(written: DemoWritten, now: datetime, windows: SendWindows) -> None:
    """Jess writes twice (Sam only, then everyone), Sam replies to the first, Helen shares a note."""
    jess = FamilyAccess(session_id=0, member_id=written.members[JESS], member_name=JESS,
                        language="en", family_id=written.family_id, plan_id=written.plan_id)
    await add_family_message(access=jess, body=JESS_TO_SAM, visibility=LEAD,
                                      now=now - timedelta(days=DAYS_AGO["to_sam"]), windows=windows)
    await add_family_message(access=jess, body=JESS_TO_EVERYONE, visibility=CORE_GROUP,
                             now=now - timedelta(days=DAYS_AGO["to_everyone"]), windows=windows)
    sam = Caller(id=written.staff[SAM], name="Sam Okafor", email=SAM,
                 roles=frozenset({"professional"}))
    await add_staff_reply(plan_id=written.plan_id, member_id=written.members[JESS], body=SAM_REPLY,
                          caller=sam, actor=Actor.user(sam.id, sam.name, channel="web"),
                          now=now - timedelta(days=DAYS_AGO["reply"]),
                          windows=windows)
    phone = await Action.select(Action.id).where(
        (Action.plan == written.plan_id) & (Action.owner_user == written.staff[HELEN])).first()
    if phone is not None:
        await service.record_progress(
            action_id=phone["id"], status=None, note=HELEN_SHARED_NOTE, shared_with_family=True,
            actor=Actor.user(written.staff[HELEN], "Helen Marsh", channel="web"),
            now=now - timedelta(days=DAYS_AGO["note"]))


async def seed_full_demo(*, now: datetime, policy: PlanPolicy, windows: SendWindows,
                         only_if_empty: bool = False) -> str:
    """The demo with the family's voice and a routine step; a second run changes nothing."""

    async def family_side(written: DemoWritten) -> None:
        await _add_routine(written, now, policy)
        await _add_voice(written, now, windows)

    return await seed_demo(now=now, policy=policy, only_if_empty=only_if_empty, then=family_side)
