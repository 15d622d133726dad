"""The demo: Rosie's family, modelled on the seed's school-attendance example, with a live plan.

The demo is data first (who is in it, the conference record, outcomes, actions, progress),
then small writers that put it through the real services; `seed_demo` only runs them in order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from tracker.audit import Actor
from tracker.clock import LONDON, local_date
from tracker.people.accounts import create_user
from tracker.people.caller import Caller
from tracker.people.profile import ProfileIn, update_profile
from tracker.people.tables import StaffUser
from tracker.plans import core_groups, service
from tracker.plans.common import PlanPolicy
from tracker.plans.schemas import (
    ActionIn,
    ActionReviewIn,
    ChildIn,
    ConferenceIn,
    CoreGroupIn,
    FamilyIn,
    MemberIn,
    OutcomeIn,
    PlanIn,
)
from tracker.plans.tables import Action, Family, FamilyMember

DEMO_PASSWORD = "restorative-demo-2026"  # noqa: S105 - demo accounts only, printed on purpose
DEMO_FAMILY = "Rosie's family (Taylor)"

STAFF = [
    # email, name, roles, role title, agency
    ("priya.shah@demo.example", "Priya Shah", ["chair"],
     "Quality Assurance Reviewing Officer", "Children's Services"),
    ("sam.okafor@demo.example", "Sam Okafor", ["professional"],
     "Social worker", "Children's Services"),
    ("helen.marsh@demo.example", "Helen Marsh", ["professional"],
     "Attendance officer", "Westfield Primary School"),
    ("dan.reid@demo.example", "Dan Reid", ["professional"],
     "Health visitor", "Community health (NHS)"),
    ("admin@demo.example", "Alex Morgan", ["admin"], "System administrator",
     "Children's Services"),
]



# ---------------------------------------------------------------- what the demo is (data)

CHAIR, SAM, HELEN, DAN = (email for email, *_ in STAFF[:4])
MEMBERS = (
    MemberIn(name="Jess Taylor", relationship="Mum", mobile="07700 900123",
             email="jess.taylor@demo.example", preferred_channel="sms",
             sms_consent=True, safe_to_contact=True),
    MemberIn(name="Linda Taylor", relationship="Grandmother",
             email="linda.taylor@demo.example", preferred_channel="email",
             sms_consent=False, safe_to_contact=True),
    MemberIn(name="Ryan Cole", relationship="Mum's former partner",
             mobile="07700 900456", preferred_channel="none", sms_consent=False,
             safe_to_contact=False),
)
# handle, name, age in years on the demo's day, birthday (month, day)
CHILDREN = (("rosie", "Rosie", 8, (5, 14)), ("alfie", "Alfie", 3, (1, 9)))
# Who the data below names by handle: a professional (by email) or a family member (by name).
PEOPLE = {"jess": ("member", "Jess Taylor"), "linda": ("member", "Linda Taylor"),
          "sam": ("user", SAM), "helen": ("user", HELEN), "dan": ("user", DAN)}
INVITED = (SAM, HELEN, DAN)
HELD_DAYS_AGO = 42  # the initial conference, on the working day on or after
REVIEW_AFTER_DAYS = 84  # the review, on the working day on or after
REPORTS_IN_DAYS_BEFORE = 4  # each invitee's report came in this many days before, at 15:00

# What the demo family reads on their plan, in plain words: each text passes the
# plain-English and restorative checks (tests/plans/test_demo_wording.py holds it).
OUTCOMES: dict[str, dict[str, Any]] = {
    "school": dict(
        children=("rosie",),
        statement="Rosie goes to school every day, on time, and feels settled there.",
        measure="The school register shows Rosie at school at least 95 days in 100. Rosie tells "
                "her teacher she is happy at school."),
    "mornings": dict(
        children=("rosie", "alfie"),
        statement="Rosie and Alfie have calm mornings and enough sleep.",
        measure="Jess and Linda say most mornings are calm. Rosie gets to school by 8:50."),
    "health": dict(
        children=("alfie",),
        statement="Alfie's health and growth checks are up to date.",
        measure="The health visitor writes down that Alfie's 2½-year check is done."),
}

# (outcome, action): owner and "by" name a person below; due is days from today.
ACTIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("school", dict(owner="jess", due=14, status="in_progress",
                    description="Walk Rosie to school so she is in class by 8:50 each day, with "
                                "Alfie in the buggy.",
                    measure="The school register shows Rosie in class by 8:50 each day for four "
                            "weeks.",
                    support="Helen calls each Monday to plan the week.", by="helen")),
    ("school", dict(owner="helen", due=21, status="in_progress",
                    description="Phone Jess each Monday at 9:15. Agree how Rosie gets to school "
                                "that week. Share last week's register.",
                    measure="Six Monday calls logged on the school system.")),
    ("school", dict(owner="sam", due=-3, status="not_started",
                    description="Ask for a free place for Rosie at the Westfield Primary "
                                "breakfast club. Tell Jess the start date.",
                    measure="Rosie has a start date for breakfast club, in a letter.")),
    ("mornings", dict(owner="jess", due=-10, status="done",
                      description="Set an alarm for 7:00. Put out Rosie's uniform and bag the "
                                  "night before.",
                      measure="Jess tells us at each plan meeting that most mornings start on "
                              "time.")),
    ("mornings", dict(owner="sam", due=-20, status="done",
                      description="Ask a family support worker to help Jess. Together they "
                                  "plan mornings that fit her shifts.",
                      measure="Jess has met the family support worker at home.")),
    ("mornings", dict(owner="linda", due=30, status="in_progress",
                      description="Collect Rosie from school on Tuesdays and Thursdays at 3:15 "
                                  "and give her tea.",
                      measure="Linda picks up Rosie each Tuesday and Thursday this half-term.")),
    ("health", dict(owner="dan", due=5, status="not_started",
                    description="Book Alfie's 2½-year health check at home, at a time that "
                                "suits Jess. Do the check.",
                    measure="The health visitor writes down that the check is done.")),
    ("health", dict(owner="jess", due=12, status="not_started",
                    description="Take Alfie to the dentist at Bridge Street Surgery for a "
                                "check-up.",
                    measure="Alfie has seen the dentist. Jess has the next date.",
                    support="Dan can help book the appointment.", by="dan")),
)

# The initial conference, recorded in the guide's points 2 to 7 (professionals' words,
# checked by the restorative check). The chair shares the children's words and the family's
# reflections with the family, so those two also pass the plain-English check.
RECORD: dict[str, Any] = dict(  # the seven steps' words (Any: spread into ConferenceIn)
    family_description=(
        "Jess described Rosie as funny, kind and 'a little mum' to Alfie. Rosie loves "
        "drawing and her friend Maya. Mornings have been hard since Jess started night "
        "shifts; Alfie wakes early and Rosie is often tired."
    ),
    children_views=(
        "Rosie told her teacher she likes school when she gets there on time. She feels shy "
        "walking in late. Alfie shows us how he feels by how he plays. His health visitor "
        "says he is a happy, curious boy who needs a settled routine."
    ),
    worries=(
        "Rosie's attendance this term is 78%, with 14 late marks. The family has moved "
        "twice this year. Jess's former partner has been coming to the home; he is not "
        "part of the plan."
    ),
    impact=(
        "Rosie is missing phonics lessons and is behind in reading. She is anxious on "
        "Monday mornings. Alfie's 2-year check has not happened yet."
    ),
    family_reflections=(
        "Jess said she had not realised how much Rosie noticed. Linda offered to help "
        "with school runs twice a week. Jess is good at planning once she has a routine "
        "and wants to change her shift pattern."
    ),
    what_better_looks_like=(
        "Rosie in school every day, on time, happy to go. Calm mornings. Alfie's health "
        "reviews up to date."
    ),
    support_and_contributions=(
        "School: weekly check-in call and a breakfast club place. Social worker: "
        "breakfast club funding and a family support worker. Health visitor: Alfie's "
        "review at home. Linda: Tuesday and Thursday pick-ups."
    ),
)

PROGRESS_NOTES = {"in_progress": "Started: going well so far.", "done": "Done, and it is helping."}


def family_facing_texts() -> list[str]:
    """Every demo text a family member reads on their plan."""
    texts = [t for spec in OUTCOMES.values() for t in (spec["statement"], spec["measure"])]
    for _, spec in ACTIONS:
        texts += [spec["description"], spec["measure"]] + ([spec["support"]] if spec.get("support") else [])
    return texts




def _working_day_on_or_after(d: date) -> date:
    cal = service.working_calendar()
    while not cal.is_working_day(d):
        d += timedelta(days=1)
    return d


def _at(d: date, hour: int) -> datetime:
    return datetime.combine(d, time(hour, 0), LONDON)



# ---------------------------------------------------------------- writing it


@dataclass
class DemoWritten:
    """Ids of what has been written so far, by the names and handles the data uses."""

    staff: dict[str, int] = field(default_factory=dict)
    members: dict[str, int] = field(default_factory=dict)
    children: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    family_id: int = 0
    plan_id: int = 0

    def person(self, handle: str) -> tuple[str, int]:
        """("user" or "member", id) of a handle in PEOPLE."""
        kind, key = PEOPLE[handle]
        return kind, (self.staff[key] if kind == "user" else self.members[key])


async def _write_staff(written: DemoWritten, actor: Actor, now: datetime) -> None:
    for email, name, roles, title, agency in STAFF:
        row = await StaffUser.select(StaffUser.id).where(StaffUser.email == email).first()
        written.staff[email] = row["id"] if row is not None else await create_user(
            email=email, name=name, roles=roles, password=DEMO_PASSWORD, role_title=title,
            agency=agency, actor=actor, now=now,
        )


async def _write_profiles(written: DemoWritten, actor: Actor, now: datetime) -> None:
    # Helen lives on her work phone: nudged by email and text (see /profile).
    await update_profile(user_id=written.staff[HELEN], data=ProfileIn(mobile="07700 900789", nudge_by="both"),
                         now=now, actor=actor)


async def _write_family(written: DemoWritten, actor: Actor, now: datetime) -> None:
    today = local_date(now)
    lead = Caller(id=written.staff[SAM], name="Sam Okafor", email=SAM,
                  roles=frozenset({"professional"}))
    children = [ChildIn(name=name, date_of_birth=date(today.year - age, month, day))
                for _, name, age, (month, day) in CHILDREN]
    written.family_id = await service.create_family(
        data=FamilyIn(name=DEMO_FAMILY, reference="CP-2026-0142", lead_professional_id=lead.id,
                      members=list(MEMBERS),
                      children=children),
        caller=lead, actor=actor, now=now,
    )
    family = await service.family_view(written.family_id)
    written.members = {m["name"]: m["id"] for m in family["members"]}
    by_name = {c["name"]: c["id"] for c in family["children"]}
    written.children = {handle: by_name[name] for handle, name, *_ in CHILDREN}


async def _write_initial_conference(written: DemoWritten, held_on: date, review_on: date,
                                    actor: Actor, now: datetime, policy: PlanPolicy) -> int:
    conference_id = await service.create_conference(
        data=ConferenceIn(
            family_id=written.family_id, kind="initial_cp", starts_at=_at(held_on, 10),
            chair_id=written.staff[CHAIR], invitee_ids=[written.staff[e] for e in INVITED],
            **RECORD, share_children_views=True, share_family_reflections=True,
            decision="cp_plan", categories=["neglect"], next_review_on=review_on,
        ),
        actor=actor, now=now, policy=policy,
    )
    for email in INVITED:
        await service.mark_report_submitted(
            conference_id=conference_id, user_id=written.staff[email], actor=actor,
            now=_at(held_on - timedelta(days=REPORTS_IN_DAYS_BEFORE), 15))
    return conference_id


async def _write_action(written: DemoWritten, plan_id: int, outcome: str, spec: dict[str, Any],
                        actor: Actor, now: datetime, policy: PlanPolicy) -> None:
    kind, owner_id = written.person(spec["owner"])
    action_id = await service.add_action(
        plan_id=plan_id, actor=actor, now=now, policy=policy,
        data=ActionIn(
            outcome_id=written.outcomes[outcome], description=spec["description"],
            owner_user_id=owner_id if kind == "user" else None,
            owner_member_id=owner_id if kind == "member" else None,
            due_on=_working_day_on_or_after(local_date(now) + timedelta(days=spec["due"])),
            success_measure=spec["measure"], support_offered=spec.get("support", ""),
            support_by_user_id=written.person(spec["by"])[1] if spec.get("by") else None,
        ),
    )
    if spec["status"] == "not_started":
        return
    owner = (Actor.member(owner_id, "family member") if kind == "member"
             else Actor.user(owner_id, "professional", channel="web"))
    await service.record_progress(
        action_id=action_id, status=spec["status"], note=PROGRESS_NOTES[spec["status"]],
        actor=owner, now=now - timedelta(days=2))


async def _write_plan(written: DemoWritten, conference_id: int, actor: Actor, now: datetime,
                      policy: PlanPolicy) -> int:
    plan_id = await service.create_plan(
        data=PlanIn(conference_id=conference_id, kind="child_protection"), actor=actor, now=now,
        policy=policy)
    for key, spec in OUTCOMES.items():
        written.outcomes[key] = await service.add_outcome(
            plan_id=plan_id, actor=actor, now=now,
            data=OutcomeIn(child_ids=[written.children[c] for c in spec["children"]],
                           statement=spec["statement"], measure=spec["measure"]))
    for outcome, spec in ACTIONS:
        await _write_action(written, plan_id, outcome, spec, actor, now, policy)
    return plan_id


# The first core group, held and recorded: what Priya sees on /chair and in the summary.
CORE_GROUP = dict(
    better="Rosie was in class by 8:50 on nine school days out of ten. Mornings are calmer "
           "since the family support worker started.",
    family_view="Jess says the Monday calls help her plan the week. Linda is glad to do the "
                "Tuesday and Thursday pick-ups.",
    children_view="Rosie told Helen she likes breakfast club and wants to keep walking to "
                  "school with Mum.",
    next_steps="Helen will ask about a reading buddy for Rosie. Sam will chase the "
               "breakfast club place. We meet again in six weeks.",
    review_note="Four Monday calls made. Jess says they help her plan the week.",
)


async def _write_core_group(written: DemoWritten, plan_id: int, held_on: date, now: datetime,
                            policy: PlanPolicy) -> int:
    """The first core group, eight working days after the initial conference, recorded by Sam."""
    helen, sam = written.staff[HELEN], written.staff[SAM]
    phone = await Action.select(Action.id).where(
        (Action.plan == plan_id) & (Action.owner_user == helen)).first()
    meets_on = service.working_calendar().add_working_days(held_on, 8)
    return await core_groups.create_core_group(
        plan_id=plan_id, actor=Actor.user(sam, "Sam Okafor", channel="web"), now=now,
        policy=policy, data=CoreGroupIn(
            starts_at=_at(meets_on, 14), invitee_ids=[helen, written.staff[DAN]],
            attended_user_ids=[sam, helen],
            attended_member_ids=[written.members["Jess Taylor"], written.members["Linda Taylor"]],
            action_reviews=[ActionReviewIn(action_id=phone["id"], status="in_progress",
                                           note=CORE_GROUP["review_note"])] if phone else [],
            better=CORE_GROUP["better"], family_view=CORE_GROUP["family_view"],
            children_view=CORE_GROUP["children_view"], next_steps=CORE_GROUP["next_steps"]))


async def seed_demo(*, now: datetime, policy: PlanPolicy, only_if_empty: bool = False,
                    then: Callable[[DemoWritten], Awaitable[None]] | None = None) -> str:
    """Create the demo people, family, conferences and plan; a second run changes nothing.

    `then` adds more once the plan is written (`tracker.demo_voice`: the family's side).
    """
    if only_if_empty and await Family.exists():
        return "The database already has families: demo not added.\n" + sign_in_text()
    if await Family.exists().where(Family.name == DEMO_FAMILY):
        return "The demo is already here.\n" + sign_in_text()
    actor = Actor.system("demo")
    written = DemoWritten()
    await _write_staff(written, actor, now)
    await _write_profiles(written, actor, now)
    await _write_family(written, actor, now)
    held_on = _working_day_on_or_after(local_date(now) - timedelta(days=HELD_DAYS_AGO))
    review_on = _working_day_on_or_after(held_on + timedelta(days=REVIEW_AFTER_DAYS))
    initial = await _write_initial_conference(written, held_on, review_on, actor, now, policy)
    plan_id = written.plan_id = await _write_plan(written, initial, actor, now, policy)
    await _write_core_group(written, plan_id, held_on, now, policy)
    await service.create_conference(
        data=ConferenceIn(family_id=written.family_id, kind="review_cp",
                          starts_at=_at(review_on, 10), chair_id=written.staff[CHAIR],
                          invitee_ids=[written.staff[e] for e in INVITED]),
        actor=actor, now=now, policy=policy,
    )
    if then is not None:
        await then(written)
    return f"Added the demo: {DEMO_FAMILY}, plan {plan_id}.\n" + sign_in_text()


def sign_in_text() -> str:
    """How to sign in to the demo, printed by `tracker demo` and `make run`."""
    lines = ["Demo sign-ins (password for all: " + DEMO_PASSWORD + "):"]
    for email, name, roles, title, agency in STAFF:
        lines.append(f"  {email:<28} {name} - {title}, {agency} ({', '.join(roles)})")
    lines.append("API: `.venv/bin/tracker api-token --email sam.okafor@demo.example` prints a "
                 "bearer token for /api/v1 (OpenAPI at /schema).")
    return "\n".join(lines)


async def demo_member_ids() -> list[int]:
    """The demo family's adults who may be contacted (for `tracker family-link`)."""
    rows = await FamilyMember.select(FamilyMember.id).where(
        (FamilyMember.family.name == DEMO_FAMILY) & (FamilyMember.safe_to_contact == True)  # noqa: E712
    )
    return [r["id"] for r in rows]
