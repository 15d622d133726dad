"""Small factories that build real rows through the real services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from tracker.audit import Actor
from tracker.clock import LONDON
from tracker.notify.quiet import SendWindows
from tracker.people.accounts import create_user, issue_api_token
from tracker.people.caller import Caller
from tracker.plans import service
from tracker.plans.common import PlanPolicy
from tracker.plans.core_groups import create_core_group
from tracker.plans.schemas import (
    ActionIn,
    ChildIn,
    ConferenceIn,
    CoreGroupIn,
    FamilyIn,
    MemberIn,
    OutcomeIn,
    PlanIn,
)

_seq = itertools.count(1)
SYSTEM = Actor.system("tests")
# What the test settings decide (the defaults: England's statutory timings, the bundled
# language rules, 09:00-19:00 texts and 07:00-21:00 emails), for tests that call services.
POLICY = PlanPolicy()
WINDOWS = SendWindows()


@dataclass
class User:
    """A professional with an API token."""

    id: int
    email: str
    name: str
    token: str
    roles: tuple[str, ...]

    @property
    def headers(self) -> dict[str, str]:
        """Authorization header for the JSON API."""
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def caller(self) -> Caller:
        """As the access rules see this user."""
        return Caller(id=self.id, name=self.name, email=self.email, roles=frozenset(self.roles))


async def make_user(now: datetime, *roles: str, name: str | None = None,
                    password: str | None = None) -> User:
    """A new active professional (default role: professional) and a bearer token."""
    roles = roles or ("professional",)
    n = next(_seq)
    name = name or f"Professional {n}"
    email = f"user{n}-{id(now) % 9973}@example.org"
    user_id = await create_user(email=email, name=name, roles=list(roles), actor=SYSTEM, now=now,
                                password=password, agency="Test agency")
    token = await issue_api_token(user_id=user_id, actor=SYSTEM, now=now)
    return User(id=user_id, email=email, name=name, token=token, roles=tuple(roles))


@dataclass
class World:
    """A family with a lead, a chair, an invited professional, a plan, an outcome, actions."""

    lead: User
    chair: User
    invitee: User
    outsider: User
    family: dict[str, Any]
    conference_id: int
    plan_id: int
    outcome_id: int
    action_id: int  # owned by the invitee
    member_action_id: int  # owned by the first family member
    core_group_id: int = 0  # set by make_core_group when a test needs one


def at(d: date, hour: int = 10) -> datetime:
    """A local (Europe/London) time on a date."""
    return datetime.combine(d, time(hour), LONDON)


async def make_world(now: datetime) -> World:
    """Everything a plan test needs, made through the services as a conference would."""
    lead = await make_user(now, name="Sam Lead")
    chair = await make_user(now, "chair", name="Priya Chair")
    invitee = await make_user(now, name="Helen School")
    outsider = await make_user(now, name="Olly Outsider")
    today = now.astimezone(LONDON).date()
    family_id = await service.create_family(
        data=FamilyIn(
            name=f"Family {next(_seq)}", lead_professional_id=lead.id,
            members=[
                MemberIn(name="Jess", relationship="Mum", mobile="07700 900123",
                         preferred_channel="sms", sms_consent=True),
                MemberIn(name="Ryan", relationship="Former partner", preferred_channel="none",
                         safe_to_contact=False),
            ],
            children=[ChildIn(name="Rosie", date_of_birth=date(2018, 5, 14))],
        ),
        caller=lead.caller, actor=SYSTEM, now=now,
    )
    family = await service.family_view(family_id)
    conference_id = await service.create_conference(policy=POLICY,
        data=ConferenceIn(family_id=family_id, kind="initial_cp", starts_at=at(today - timedelta(days=7)),
                          chair_id=chair.id, invitee_ids=[invitee.id], decision="cp_plan",
                          categories=["neglect"], next_review_on=today + timedelta(days=60)),
        actor=SYSTEM, now=now,
    )
    plan_id = await service.create_plan(data=PlanIn(conference_id=conference_id, kind="child_protection"),
                                        actor=SYSTEM, now=now, policy=POLICY)
    outcome_id = await service.add_outcome(
        plan_id=plan_id, actor=SYSTEM, now=now,
        data=OutcomeIn(child_ids=[family["children"][0]["id"]],
                       statement="Rosie goes to school every day.", measure="95% attendance."))
    action_id = await service.add_action(policy=POLICY,
        plan_id=plan_id, actor=SYSTEM, now=now,
        data=ActionIn(outcome_id=outcome_id, owner_user_id=invitee.id,
                      description="Phone Jess every Monday at 9:15 to plan the school week.",
                      due_on=today + timedelta(days=14),
                      success_measure="Six Monday calls logged on the school system."))
    member_action_id = await service.add_action(policy=POLICY,
        plan_id=plan_id, actor=SYSTEM, now=now,
        data=ActionIn(outcome_id=outcome_id, owner_member_id=family["members"][0]["id"],
                      description="Walk Rosie to school so she is in class by 8:50 each day.",
                      due_on=today + timedelta(days=10),
                      success_measure="The register shows Rosie in class by 8:50 for four weeks."))
    return World(lead=lead, chair=chair, invitee=invitee, outsider=outsider, family=family,
                 conference_id=conference_id, plan_id=plan_id, outcome_id=outcome_id,
                 action_id=action_id, member_action_id=member_action_id)


async def make_core_group(world: World, now: datetime, *, starts_at: datetime | None = None) -> int:
    """A core group meeting on the world's plan (yesterday by default), the invitee invited;
    also kept on the world as `core_group_id`."""
    when = starts_at or now - timedelta(days=1)
    world.core_group_id = await create_core_group(
        plan_id=world.plan_id, data=CoreGroupIn(starts_at=when, invitee_ids=[world.invitee.id]),
        actor=Actor.user(world.lead.id, world.lead.name, channel="web"), now=now, policy=POLICY)
    return world.core_group_id
