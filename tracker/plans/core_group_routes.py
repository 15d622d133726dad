"""JSON API for core group meetings under /api/v1: thin handlers over tracker.plans.core_groups."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from tracker.api_responses import CHANGE, READ, error_responses, to_out
from tracker.people.caller import Caller
from tracker.plans import core_group_views, core_groups
from tracker.plans.access import require_family, require_manage
from tracker.plans.api_types import CoreGroupOut
from tracker.plans.common import PlanPolicy, plan_family
from tracker.plans.routes import api_actor
from tracker.plans.schemas import CoreGroupIn, CoreGroupPatch


class PlanCoreGroupController(Controller):
    """A plan's core group meetings."""

    path = "/api/v1/plans/{plan_id:int}/core-groups"
    tags = ["core groups"]

    @get(responses=error_responses(*READ))
    async def list_core_groups(self, plan_id: FromPath[int],
                               caller: NamedDependency[Caller]) -> list[CoreGroupOut]:
        """The plan's core group meetings, oldest first."""
        await require_family(caller, await plan_family(plan_id))
        return to_out(await core_group_views.list_core_groups(plan_id), list[CoreGroupOut])

    @post(responses=error_responses(*CHANGE))
    async def create_core_group(
        self, plan_id: FromPath[int], data: JSONBody[CoreGroupIn], caller: NamedDependency[Caller],
        now: NamedDependency[datetime], policy: NamedDependency[PlanPolicy],
    ) -> CoreGroupOut:
        """Arrange a core group meeting (invitees are emailed); for one already held, its record too."""
        await require_manage(caller, await plan_family(plan_id))
        meeting_id = await core_groups.create_core_group(
            plan_id=plan_id, data=data, actor=api_actor(caller), now=now, policy=policy)
        return to_out(await core_group_views.core_group_view(meeting_id), CoreGroupOut)


class CoreGroupController(Controller):
    """One core group meeting: read it, move it, change who is invited, record it."""

    path = "/api/v1/core-groups"
    tags = ["core groups"]

    @get("/{meeting_id:int}", responses=error_responses(*READ))
    async def get_core_group(self, meeting_id: FromPath[int],
                             caller: NamedDependency[Caller]) -> CoreGroupOut:
        """One core group meeting."""
        await require_family(caller, await core_group_views.core_group_family(meeting_id))
        return to_out(await core_group_views.core_group_view(meeting_id), CoreGroupOut)

    @patch("/{meeting_id:int}", responses=error_responses(*CHANGE))
    async def patch_core_group(
        self, meeting_id: FromPath[int], data: JSONBody[CoreGroupPatch],
        caller: NamedDependency[Caller], now: NamedDependency[datetime],
        policy: NamedDependency[PlanPolicy],
    ) -> CoreGroupOut:
        """Move it or change invitations; once it has started, record who came, each action's
        status and note (each a progress update), what is better, the views and next steps."""
        await require_manage(caller, await core_group_views.core_group_family(meeting_id))
        await core_groups.update_core_group(meeting_id=meeting_id, patch=data,
                                            actor=api_actor(caller), now=now, policy=policy)
        return to_out(await core_group_views.core_group_view(meeting_id), CoreGroupOut)


ROUTES = [PlanCoreGroupController, CoreGroupController]
