"""JSON API for plans under /api/v1: thin handlers over the plan services."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import UNSET as msgspec_unset

from tracker.api_responses import CHANGE, READ, error_responses, to_out
from tracker.audit import Actor
from tracker.errors import FieldErrors, Forbidden
from tracker.people.caller import Caller
from tracker.plans import service
from tracker.plans.access import (
    can_manage_family,
    require_action_update,
    require_arrange_conference,
    require_family,
    require_manage,
)
from tracker.plans.api_types import (
    ActionOut,
    AuditEventOut,
    ConferenceCancelledOut,
    ConferenceOut,
    ConferenceSummaryOut,
    FamilyOut,
    FamilySummaryOut,
    LanguageCheckOut,
    MeOut,
    OutcomeOut,
    PlanOut,
    ProgressOut,
    ProgressUpdateOut,
)
from tracker.plans.common import PlanPolicy
from tracker.plans.conferences import Tell
from tracker.plans.read_cache import app_cache, plan_for_reader
from tracker.plans.schemas import (
    ActionIn,
    ActionPatch,
    ConferenceCancel,
    ConferenceIn,
    ConferenceMove,
    ConferencePatch,
    FamilyIn,
    FamilyPatch,
    LanguageCheckIn,
    OutcomeIn,
    PlanIn,
    ProgressIn,
)

# A plan's API view, kept per process while its family's version and the day are unchanged.
PLAN_CACHE = "plan_views"


def api_actor(caller: Caller) -> Actor:
    """Changes through the JSON API are attributed to the token's owner."""
    return Actor.user(caller.id, caller.name, channel="api")


class MeController(Controller):
    """Who the caller is."""

    path = "/api/v1/me"
    tags = ["people"]

    @get(responses=error_responses(401))
    async def me(self, caller: NamedDependency[Caller]) -> MeOut:
        """The caller: id, name, email, roles."""
        return MeOut(id=caller.id, name=caller.name, email=caller.email,
                     roles=sorted(caller.roles))


class FamilyController(Controller):
    """Families (cases), their adults and children."""

    path = "/api/v1/families"
    tags = ["families"]

    @get(responses=error_responses(401))
    async def list_families(self, caller: NamedDependency[Caller]) -> list[FamilySummaryOut]:
        """Families the caller may see."""
        return to_out(await service.list_families(caller), list[FamilySummaryOut])

    @post(responses=error_responses(400, 401, 413, 415))
    async def create_family(
        self, data: JSONBody[FamilyIn], caller: NamedDependency[Caller],
        now: NamedDependency[datetime],
    ) -> FamilyOut:
        """Open a family with its adults and children."""
        family_id = await service.create_family(
            data=data, caller=caller, actor=api_actor(caller), now=now)
        return to_out(await service.family_view(family_id), FamilyOut)

    @get("/{family_id:int}", responses=error_responses(*READ))
    async def get_family(
        self, family_id: FromPath[int], caller: NamedDependency[Caller]
    ) -> FamilyOut:
        """One family."""
        await require_family(caller, family_id)
        return to_out(await service.family_view(family_id), FamilyOut)

    @patch("/{family_id:int}", responses=error_responses(*CHANGE))
    async def patch_family(
        self, family_id: FromPath[int], data: JSONBody[FamilyPatch],
        caller: NamedDependency[Caller], now: NamedDependency[datetime],
    ) -> FamilyOut:
        """Change a family, its adults or children."""
        await require_manage(caller, family_id)
        await service.update_family(family_id=family_id, patch=data, actor=api_actor(caller),
                                    now=now)
        return to_out(await service.family_view(family_id), FamilyOut)


class ConferenceController(Controller):
    """Conferences: the seven-step record, the decision, who is invited."""

    path = "/api/v1/conferences"
    tags = ["conferences"]

    @get(responses=error_responses(400, 401))
    async def list_conferences(
        self, caller: NamedDependency[Caller], family_id: FromQuery[int | None] = None
    ) -> list[ConferenceSummaryOut]:
        """Conferences of the families the caller may see."""
        return to_out(await service.list_conferences(caller, family_id=family_id),
                      list[ConferenceSummaryOut])

    @post(responses=error_responses(*CHANGE))
    async def create_conference(
        self, data: JSONBody[ConferenceIn], caller: NamedDependency[Caller],
        now: NamedDependency[datetime], policy: NamedDependency[PlanPolicy],
    ) -> ConferenceOut:
        """Schedule or record a conference."""
        await require_arrange_conference(caller, data.family_id)
        conference_id = await service.create_conference(
            data=data, actor=api_actor(caller), now=now, policy=policy)
        return to_out(await service.conference_view(conference_id, policy=policy), ConferenceOut)

    @get("/{conference_id:int}", responses=error_responses(*READ))
    async def get_conference(
        self, conference_id: FromPath[int], caller: NamedDependency[Caller],
        policy: NamedDependency[PlanPolicy],
    ) -> ConferenceOut:
        """One conference."""
        await require_family(caller, await service.conference_family(conference_id))
        return to_out(await service.conference_view(conference_id, policy=policy), ConferenceOut)

    @patch("/{conference_id:int}", responses=error_responses(*CHANGE))
    async def patch_conference(
        self, conference_id: FromPath[int], data: JSONBody[ConferencePatch],
        caller: NamedDependency[Caller], now: NamedDependency[datetime],
        policy: NamedDependency[PlanPolicy], conference_tell: NamedDependency[Tell],
    ) -> ConferenceOut:
        """Record steps, the decision, or change the date, chair or invitees (a booked
        conference's new date is emailed to everyone invited, as `/move` does)."""
        await require_manage(caller, await service.conference_family(conference_id))
        await service.update_conference(
            conference_id=conference_id, patch=data, actor=api_actor(caller), now=now, policy=policy,
            tell=conference_tell)
        return to_out(await service.conference_view(conference_id, policy=policy), ConferenceOut)

    @post("/{conference_id:int}/move", status_code=200, responses=error_responses(*CHANGE))
    async def move_conference(
        self, conference_id: FromPath[int], data: JSONBody[ConferenceMove],
        caller: NamedDependency[Caller], now: NamedDependency[datetime],
        policy: NamedDependency[PlanPolicy], conference_tell: NamedDependency[Tell],
    ) -> ConferenceOut:
        """Move a booked conference (today or later): report due dates and reminders follow,
        and everyone invited, and the chair, are told by email."""
        await require_manage(caller, await service.conference_family(conference_id))
        await service.move_conference(
            conference_id=conference_id, starts_at=data.starts_at, actor=api_actor(caller),
            now=now, policy=policy, tell=conference_tell)
        return to_out(await service.conference_view(conference_id, policy=policy), ConferenceOut)

    @post("/{conference_id:int}/cancel", status_code=200, responses=error_responses(*CHANGE))
    async def cancel_conference(
        self, conference_id: FromPath[int], data: JSONBody[ConferenceCancel],
        caller: NamedDependency[Caller], now: NamedDependency[datetime],
        conference_tell: NamedDependency[Tell],
    ) -> ConferenceCancelledOut:
        """Cancel a booked conference, with a reason: it and its invitations are taken off the
        record (the audit keeps them), its reminders stop, and everyone invited is told. A
        conference already held, or with a report in, stays (400)."""
        await require_manage(caller, await service.conference_family(conference_id))
        return to_out(await service.cancel_conference(
            conference_id=conference_id, reason=data.reason, actor=api_actor(caller), now=now,
            tell=conference_tell), ConferenceCancelledOut)


class PlanController(Controller):
    """Plans, their outcomes and actions."""

    path = "/api/v1/plans"
    tags = ["plans"]

    @post(responses=error_responses(*CHANGE))
    async def create_plan(
        self, data: JSONBody[PlanIn], caller: NamedDependency[Caller],
        now: NamedDependency[datetime], today: NamedDependency[date],
        policy: NamedDependency[PlanPolicy],
    ) -> PlanOut:
        """Make (or, at a review, revise) the plan a conference decided; `due_dates` re-dates
        carried actions (any left out move on by the review interval)."""
        await require_manage(caller, await service.conference_family(data.conference_id))
        plan_id = await service.create_plan(data=data, actor=api_actor(caller), now=now,
                                            policy=policy)
        return to_out(await service.plan_view(plan_id, today=today), PlanOut)

    @get("/{plan_id:int}", responses=error_responses(*READ))
    async def get_plan(
        self, request: Request[Any, Any, Any], plan_id: FromPath[int],
        caller: NamedDependency[Caller],
        today: NamedDependency[date],
    ) -> PlanOut:
        """A plan with outcomes, actions and SMART results."""
        # Who may read, and the family's version, read before the plan (tracker.plans.read_cache
        # says why); the plan's view depends on nothing else but the day (overdue steps, next
        # review).
        _, version = await plan_for_reader(plan_id, caller)
        cache = app_cache(request.app.state, PLAN_CACHE)
        out: PlanOut | None = cache.get((plan_id, today), version)
        if out is None:
            out = to_out(await service.plan_view(plan_id, today=today), PlanOut)
            cache.put((plan_id, today), version, out)
        return out

    @post("/{plan_id:int}/end", status_code=200, responses=error_responses(400, 401, 403, 404))
    async def end_plan(
        self, plan_id: FromPath[int], caller: NamedDependency[Caller],
        now: NamedDependency[datetime], today: NamedDependency[date],
    ) -> PlanOut:
        """End the current plan; the family's plan links stop working."""
        await require_manage(caller, await service.plan_family(plan_id))
        await service.end_plan(plan_id=plan_id, actor=api_actor(caller), now=now)
        return to_out(await service.plan_view(plan_id, today=today), PlanOut)

    @post("/{plan_id:int}/outcomes", responses=error_responses(*CHANGE))
    async def add_outcome(
        self, plan_id: FromPath[int], data: JSONBody[OutcomeIn],
        caller: NamedDependency[Caller], now: NamedDependency[datetime],
    ) -> OutcomeOut:
        """Add an outcome for named children."""
        await require_manage(caller, await service.plan_family(plan_id))
        outcome_id = await service.add_outcome(
            plan_id=plan_id, data=data, actor=api_actor(caller), now=now)
        return OutcomeOut(id=outcome_id, plan_id=plan_id, statement=data.statement,
                          measure=data.measure, child_ids=sorted(set(data.child_ids)))

    @post("/{plan_id:int}/actions", responses=error_responses(*CHANGE))
    async def add_action(
        self, plan_id: FromPath[int], data: JSONBody[ActionIn],
        caller: NamedDependency[Caller], now: NamedDependency[datetime],
        today: NamedDependency[date], policy: NamedDependency[PlanPolicy],
    ) -> ActionOut:
        """Add an action to an outcome."""
        await require_manage(caller, await service.plan_family(plan_id))
        action_id = await service.add_action(
            plan_id=plan_id, data=data, actor=api_actor(caller), now=now, policy=policy)
        return to_out(await service.action_view(action_id, today=today), ActionOut)

    @get("/{plan_id:int}/progress", responses=error_responses(*READ))
    async def progress(
        self, plan_id: FromPath[int], caller: NamedDependency[Caller],
        today: NamedDependency[date],
    ) -> ProgressOut:
        """Counts by status, overdue, progress per outcome."""
        await require_family(caller, await service.plan_family(plan_id))
        return to_out(await service.plan_progress(plan_id, today=today), ProgressOut)

    @get("/{plan_id:int}/audit", responses=error_responses(*READ))
    async def audit_trail(
        self, plan_id: FromPath[int], caller: NamedDependency[Caller]
    ) -> list[AuditEventOut]:
        """Every change to the plan and its family: who, what, when, through which channel."""
        await require_family(caller, await service.plan_family(plan_id))
        return to_out(await service.plan_audit(plan_id), list[AuditEventOut])


class ActionController(Controller):
    """Actions and their progress updates."""

    path = "/api/v1/actions"
    tags = ["actions"]

    @get("/{action_id:int}", responses=error_responses(*READ))
    async def get_action(
        self, action_id: FromPath[int], caller: NamedDependency[Caller],
        today: NamedDependency[date],
    ) -> ActionOut:
        """One action with its SMART check."""
        await require_family(caller, await service.action_family(action_id))
        return to_out(await service.action_view(action_id, today=today), ActionOut)

    @patch("/{action_id:int}", responses=error_responses(*CHANGE))
    async def patch_action(
        self, action_id: FromPath[int], data: JSONBody[ActionPatch],
        caller: NamedDependency[Caller], now: NamedDependency[datetime],
        today: NamedDependency[date], policy: NamedDependency[PlanPolicy],
    ) -> ActionOut:
        """Change an action. Its owner may change only status and note."""
        family_id = await require_action_update(caller, action_id)
        if not await can_manage_family(caller, family_id):
            owner_fields = {"status", "note"}
            given = {f for f in data.__struct_fields__ if getattr(data, f) is not msgspec_unset}
            if given - owner_fields:
                raise Forbidden("As the action's owner you can change its status and add a note;"
                                " ask the lead professional to change the rest.")
        await service.update_action(action_id=action_id, patch=data, actor=api_actor(caller),
                                    now=now, policy=policy)
        return to_out(await service.action_view(action_id, today=today), ActionOut)

    @get("/{action_id:int}/updates", responses=error_responses(*READ))
    async def list_updates(
        self, action_id: FromPath[int], caller: NamedDependency[Caller]
    ) -> list[ProgressUpdateOut]:
        """The action's progress updates, oldest first."""
        await require_family(caller, await service.action_family(action_id))
        return to_out(await service.list_updates(action_id, reader_id=caller.id),
                      list[ProgressUpdateOut])

    @post("/{action_id:int}/updates", responses=error_responses(*CHANGE))
    async def add_update(
        self, action_id: FromPath[int], data: JSONBody[ProgressIn],
        caller: NamedDependency[Caller], now: NamedDependency[datetime],
    ) -> ProgressUpdateOut:
        """Add a progress update: a status change, a note, or both."""
        await require_action_update(caller, action_id)
        update_id = await service.record_progress(
            action_id=action_id, status=data.status, note=data.note, actor=api_actor(caller),
            now=now, shared_with_family=data.share_with_family)
        updates = await service.list_updates(action_id, reader_id=caller.id)
        return to_out(next(u for u in updates if u["id"] == update_id), ProgressUpdateOut)


class LanguageController(Controller):
    """The restorative language check."""

    path = "/api/v1/language"
    tags = ["language"]

    @post("/check", status_code=200, responses=error_responses(400, 401, 413, 415))
    async def check(
        self, data: JSONBody[LanguageCheckIn], caller: NamedDependency[Caller],
        policy: NamedDependency[PlanPolicy],
    ) -> LanguageCheckOut:
        """Find blaming or deficit phrasing and suggest a restorative reframe.

        With `audience: family` the text is also checked for plain English (jargon,
        reading age, long sentences, the reader in the third person) and the answer carries
        `reading_age`. Every finding has a `kind`: restorative, jargon or plain_english.
        """
        if len(data.text) > 50_000:
            raise FieldErrors({"text": "Check at most 50,000 characters at a time."})
        return to_out(policy.check_wording(data.text, data.audience), LanguageCheckOut)


ROUTES = [
    MeController,
    FamilyController,
    ConferenceController,
    PlanController,
    ActionController,
    LanguageController,
]
