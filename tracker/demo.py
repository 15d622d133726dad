"""The demo: Rosie's family, modelled on the seed's school-attendance example, with a live plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from tracker.audit import Actor
from tracker.clock import LONDON, local_date
from tracker.people.accounts import create_user
from tracker.people.caller import Caller
from tracker.people.tables import StaffUser
from tracker.plans import service
from tracker.plans.common import PlanPolicy
from tracker.plans.schemas import (
    ActionIn,
    ChildIn,
    ConferenceIn,
    FamilyIn,
    MemberIn,
    OutcomeIn,
    PlanIn,
)
from tracker.plans.tables import Family, FamilyMember

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


SAM = "sam.okafor@demo.example"
HELEN = "helen.marsh@demo.example"
DAN = "dan.reid@demo.example"
CHAIR = "priya.shah@demo.example"
JESS, LINDA = "Jess Taylor", "Linda Taylor"

# ---------------------------------------------------------------- what the demo is (data)

MEMBERS = (
    MemberIn(name=JESS, relationship="Mum", mobile="07700 900123",
             email="jess.taylor@demo.example", preferred_channel="sms",
             sms_consent=True, safe_to_contact=True),
    MemberIn(name=LINDA, relationship="Grandmother",
             email="linda.taylor@demo.example", preferred_channel="email",
             sms_consent=False, safe_to_contact=True),
    MemberIn(name="Ryan Cole", relationship="Mum's former partner",
             mobile="07700 900456", preferred_channel="none", sms_consent=False,
             safe_to_contact=False),
)
# name, age in years on the demo's day, birthday (month, day)
CHILDREN = (("Rosie", 8, (5, 14)), ("Alfie", 3, (1, 9)))

HELD_DAYS_AGO = 42  # the initial conference, on the working day on or after
REVIEW_AFTER_DAYS = 84  # the review, on the working day on or after
REPORTS_IN_DAYS_BEFORE = 4  # each invitee's report came in this many days before, at 15:00
INVITED = (SAM, HELEN, DAN)

INITIAL_STEPS = {
    "family_description": (
        "Jess described Rosie as funny, kind and 'a little mum' to Alfie. Rosie loves "
        "drawing and her friend Maya. Mornings have been hard since Jess started night "
        "shifts; Alfie wakes early and Rosie is often tired."
    ),
    "children_views": (
        "Rosie told her teacher she likes school when she gets there on time, and feels "
        "embarrassed walking in late. Alfie is too young to say; his health visitor "
        "shared that he is a happy, curious boy who needs a settled routine."
    ),
    "worries": (
        "Rosie's attendance this term is 78%, with 14 late marks. The family has moved "
        "twice this year. Jess's former partner has been coming to the home; he is not "
        "part of the plan."
    ),
    "impact": (
        "Rosie is missing phonics lessons and is behind in reading. She is anxious on "
        "Monday mornings. Alfie's 2-year check has not happened yet."
    ),
    "family_reflections": (
        "Jess said she had not realised how much Rosie noticed. Linda offered to help "
        "with school runs twice a week. Jess is good at planning once she has a routine "
        "and wants to change her shift pattern."
    ),
    "what_better_looks_like": (
        "Rosie in school every day, on time, happy to go. Calm mornings. Alfie's health "
        "reviews up to date."
    ),
    "support_and_contributions": (
        "School: weekly check-in call and a breakfast club place. Social worker: "
        "breakfast club funding and a family support worker. Health visitor: Alfie's "
        "review at home. Linda: Tuesday and Thursday pick-ups."
    ),
}


@dataclass(frozen=True)
class DemoOutcome:
    """What better looks like for named children."""

    key: str
    children: tuple[str, ...]
    statement: str
    measure: str


@dataclass(frozen=True)
class DemoAction:
    """One action: its owner (a professional's email or a family member's name), due in days."""

    outcome: str
    description: str
    measure: str
    due_in_days: int
    status: str
    owner_user: str | None = None
    owner_member: str | None = None
    support: str = ""
    support_by: str | None = None


OUTCOMES = (
    DemoOutcome("school", ("Rosie",),
                "Rosie goes to school every day, on time, and feels settled there.",
                "Rosie's attendance is 95% or more each half-term, from the school "
                "register, and Rosie tells her teacher she feels happy at school."),
    DemoOutcome("mornings", ("Rosie", "Alfie"),
                "Rosie and Alfie have calm mornings and enough sleep.",
                "Jess and Linda say most mornings are calm; Rosie arrives by 8:50."),
    DemoOutcome("health", ("Alfie",),
                "Alfie's health and development checks are up to date.",
                "The health visitor records Alfie's 2½-year review as complete."),
)

ACTIONS = (
    DemoAction("school", owner_member=JESS, due_in_days=14, status="in_progress",
               description="Walk Rosie to school so she is in class by 8:50 each day, "
                           "with Alfie in the buggy.",
               measure="The school register shows Rosie in class by 8:50 every day for "
                       "four weeks.",
               support="Helen calls each Monday to plan the week.", support_by=HELEN),
    DemoAction("school", owner_user=HELEN, due_in_days=21, status="in_progress",
               description="Phone Jess every Monday at 9:15 to agree how Rosie gets to "
                           "school that week and share last week's attendance.",
               measure="Six Monday calls logged on the school system."),
    DemoAction("school", owner_user=SAM, due_in_days=-3, status="not_started",
               description="Apply for a funded breakfast club place for Rosie at "
                           "Westfield Primary and confirm the start date with Jess.",
               measure="Rosie has a start date for breakfast club, confirmed in writing."),
    DemoAction("mornings", owner_member=JESS, due_in_days=-10, status="done",
               description="Set a 7:00 alarm and lay out Rosie's uniform and bag the "
                           "night before.",
               measure="Jess tells the core group mornings start on time most days."),
    DemoAction("mornings", owner_user=SAM, due_in_days=-20, status="done",
               description="Refer Jess to the family support worker for help with a "
                           "morning routine that fits her shifts.",
               measure="The family support worker has met Jess at home."),
    DemoAction("mornings", owner_member=LINDA, due_in_days=30, status="in_progress",
               description="Collect Rosie from school on Tuesdays and Thursdays at "
                           "3:15 and give her tea.",
               measure="Linda collects Rosie on every Tuesday and Thursday this "
                       "half-term."),
    DemoAction("health", owner_user=DAN, due_in_days=5, status="not_started",
               description="Book and complete Alfie's 2½-year health review at home, "
                           "at a time that suits Jess.",
               measure="The review is recorded as complete in Alfie's health record."),
    DemoAction("health", owner_member=JESS, due_in_days=12, status="not_started",
               description="Take Alfie to the dentist at Bridge Street Surgery for a "
                           "check-up.",
               measure="Alfie has seen the dentist and Jess has the next appointment.",
               support="Dan can help book the appointment.", support_by=DAN),
)
# What an owner says when they mark progress (two days before the demo's day).
PROGRESS_NOTES = {"in_progress": "Started: going well so far.", "done": "Done, and it is helping."}


def _working_day_on_or_after(d: date) -> date:
    cal = service.working_calendar()
    while not cal.is_working_day(d):
        d += timedelta(days=1)
    return d


def _at(d: date, hour: int) -> datetime:
    return datetime.combine(d, time(hour, 0), LONDON)


# ---------------------------------------------------------------- writing it


@dataclass
class _Written:
    """Ids of what has been written so far, by the names the description uses."""

    staff: dict[str, int] = field(default_factory=dict)
    members: dict[str, int] = field(default_factory=dict)
    children: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    family_id: int = 0


async def _write_staff(written: _Written, actor: Actor, now: datetime) -> None:
    for email, name, roles, title, agency in STAFF:
        row = await StaffUser.select(StaffUser.id).where(StaffUser.email == email).first()
        written.staff[email] = row["id"] if row is not None else await create_user(
            email=email, name=name, roles=roles, password=DEMO_PASSWORD, role_title=title,
            agency=agency, actor=actor, now=now,
        )


async def _write_family(written: _Written, actor: Actor, now: datetime) -> None:
    today = local_date(now)
    lead = Caller(id=written.staff[SAM], name="Sam Okafor", email=SAM,
                  roles=frozenset({"professional"}))
    children = [ChildIn(name=name, date_of_birth=date(today.year - age, month, day))
                for name, age, (month, day) in CHILDREN]
    written.family_id = await service.create_family(
        data=FamilyIn(name=DEMO_FAMILY, lead_professional_id=lead.id, members=list(MEMBERS),
                      children=children),
        caller=lead, actor=actor, now=now,
    )
    family = await service.family_view(written.family_id)
    written.members = {m["name"]: m["id"] for m in family["members"]}
    written.children = {c["name"]: c["id"] for c in family["children"]}


async def _write_initial_conference(written: _Written, held_on: date, review_on: date,
                                    actor: Actor, now: datetime, policy: PlanPolicy) -> int:
    conference_id = await service.create_conference(
        data=ConferenceIn(
            family_id=written.family_id, kind="initial_cp", starts_at=_at(held_on, 10),
            chair_id=written.staff[CHAIR], invitee_ids=[written.staff[e] for e in INVITED],
            decision="cp_plan", categories=["neglect"], next_review_on=review_on,
            **INITIAL_STEPS,
        ),
        actor=actor, now=now, policy=policy,
    )
    for email in INVITED:
        await service.mark_report_submitted(
            conference_id=conference_id, user_id=written.staff[email], actor=actor,
            now=_at(held_on - timedelta(days=REPORTS_IN_DAYS_BEFORE), 15))
    return conference_id


async def _write_action(written: _Written, plan_id: int, spec: DemoAction, actor: Actor,
                        now: datetime, policy: PlanPolicy) -> None:
    owner_user = written.staff[spec.owner_user] if spec.owner_user else None
    owner_member = written.members[spec.owner_member] if spec.owner_member else None
    action_id = await service.add_action(
        plan_id=plan_id, actor=actor, now=now, policy=policy,
        data=ActionIn(
            outcome_id=written.outcomes[spec.outcome], description=spec.description,
            owner_user_id=owner_user, owner_member_id=owner_member,
            due_on=_working_day_on_or_after(local_date(now) + timedelta(days=spec.due_in_days)),
            success_measure=spec.measure, support_offered=spec.support,
            support_by_user_id=written.staff[spec.support_by] if spec.support_by else None,
        ),
    )
    if spec.status == "not_started":
        return
    if owner_member is not None:
        owner = Actor.member(owner_member, "family member")
    elif owner_user is not None:
        owner = Actor.user(owner_user, "professional", channel="web")
    else:
        raise ValueError(f"a demo action needs an owner: {spec.description}")
    await service.record_progress(
        action_id=action_id, status=spec.status, note=PROGRESS_NOTES[spec.status], actor=owner,
        now=now - timedelta(days=2))


async def _write_plan(written: _Written, conference_id: int, actor: Actor, now: datetime,
                      policy: PlanPolicy) -> int:
    plan_id = await service.create_plan(
        data=PlanIn(conference_id=conference_id, kind="child_protection"), actor=actor, now=now)
    for outcome in OUTCOMES:
        written.outcomes[outcome.key] = await service.add_outcome(
            plan_id=plan_id, actor=actor, now=now,
            data=OutcomeIn(child_ids=[written.children[c] for c in outcome.children],
                           statement=outcome.statement, measure=outcome.measure))
    for spec in ACTIONS:
        await _write_action(written, plan_id, spec, actor, now, policy)
    return plan_id


async def seed_demo(*, now: datetime, policy: PlanPolicy, only_if_empty: bool = False) -> str:
    """Create the demo people, family, conferences and plan; a second run changes nothing."""
    if only_if_empty and await Family.exists():
        return "The database already has families: demo not added.\n" + sign_in_text()
    if await Family.exists().where(Family.name == DEMO_FAMILY):
        return "The demo is already here.\n" + sign_in_text()
    actor = Actor.system("demo")
    written = _Written()
    await _write_staff(written, actor, now)
    await _write_family(written, actor, now)
    held_on = _working_day_on_or_after(local_date(now) - timedelta(days=HELD_DAYS_AGO))
    review_on = _working_day_on_or_after(held_on + timedelta(days=REVIEW_AFTER_DAYS))
    initial = await _write_initial_conference(written, held_on, review_on, actor, now, policy)
    plan_id = await _write_plan(written, initial, actor, now, policy)
    await service.create_conference(
        data=ConferenceIn(family_id=written.family_id, kind="review_cp",
                          starts_at=_at(review_on, 10), chair_id=written.staff[CHAIR],
                          invitee_ids=[written.staff[e] for e in INVITED]),
        actor=actor, now=now, policy=policy,
    )
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
