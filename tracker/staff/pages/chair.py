"""The chair's pages: reviews coming up, and the printable pre-review progress summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Response, Template

from tracker.clock import local_date
from tracker.people.caller import Caller
from tracker.plans import service
from tracker.plans.access import require_family
from tracker.plans.common import PlanPolicy
from tracker.plans.schemas import SEVEN_STEPS
from tracker.staff.pages import chair_queries as queries
from tracker.staff.pages.common import render
from tracker.staff.pages.kept import kept_page
from tracker.staff.sessions import require_role

CHAIR_CACHE = "chair_pages"


@get("/chair", guards=[require_role("chair")])
async def chair_dashboard(request: Request[Any, Any, Any], staff: NamedDependency[Caller],
                          now: NamedDependency[datetime],
                          policy: NamedDependency[PlanPolicy]) -> Response[bytes]:
    """Conferences (initial and review) the chair runs in the next 8 weeks, each with how the
    plan is going and what the core groups found; and core groups that are overdue.

    Kept per chair and served again while its version is unchanged (tracker.staff.pages.kept).
    """
    version = await queries.chair_version(staff)  # before the data it guards

    async def build() -> tuple[Template, datetime | None]:
        reviews = await queries.chair_reviews(staff, now, policy)
        leaver_names = await queries.add_leaver_flags(reviews)
        overdue, until = await queries.overdue_core_groups(staff, now, policy)
        return render("chair.html", reviews=reviews, now=now, weeks=queries.CHAIR_WEEKS,
                      leaver_names=leaver_names, can_hand_over=staff.is_admin,
                      overdue_core_groups=overdue), until

    return await kept_page(request, cache_name=CHAIR_CACHE, key=(staff, local_date(now)),
                           version=version, now=now, build=build)


@get("/plans/{plan_id:int}/review-summary")
async def review_summary(plan_id: FromPath[int], staff: NamedDependency[Caller],
                         now: NamedDependency[datetime]) -> Template:
    """One printable page to read before the review: progress, history, voices, reports."""
    await require_family(staff, await service.plan_family(plan_id))
    return render("summary.html", **await queries.review_summary(plan_id, now),
                  steps=dict(SEVEN_STEPS))

