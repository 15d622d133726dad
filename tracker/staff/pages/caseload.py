"""The caseload (`/families`): every family the signed-in person may see, searched and paged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Response, Template

from tracker.clock import local_date
from tracker.people.caller import Caller
from tracker.plans.common import PlanPolicy
from tracker.staff.pages import caseload_queries as queries
from tracker.staff.pages.caseload_queries import MAX_PAGE, SEARCH_MAX, CaseloadQuery
from tracker.staff.pages.common import render
from tracker.staff.pages.kept import kept_page, visible_families_version
from tracker.validate import parse_id, text_problem
from tracker.vocabulary import CONFERENCE_KIND_WORDS, PLAN_KIND_WORDS

FILTERS = (("all", "All families I can see"), ("mine", "Families I lead"))


def read_query(q: str, who: str, page: str) -> tuple[CaseloadQuery, dict[str, str]]:
    """The caseload's GET form as a query, or field errors (then the first page of everything)."""
    errors: dict[str, str] = {}
    search = q.strip()
    if len(search) > SEARCH_MAX:
        errors["q"] = f"Search with {SEARCH_MAX} characters or fewer."
    elif problem := text_problem(search, multiline=False):
        errors["q"] = problem
    if who not in dict(FILTERS):
        errors["who"] = "Choose all families you can see, or the families you lead."
    number = parse_id(page) if page else 1
    if number is None or number > MAX_PAGE:
        errors["page"] = f"The page must be a whole number from 1 to {MAX_PAGE:,}."
    if errors:
        return CaseloadQuery(), errors
    return CaseloadQuery(search=search, mine_only=who == "mine", page=number or 1), errors


CASELOAD_CACHE = "caseload_pages"


@get("/families")
async def caseload_page(request: Request[Any, Any, Any], staff: NamedDependency[Caller],
                        now: NamedDependency[datetime], policy: NamedDependency[PlanPolicy],
                        q: FromQuery[str] = "", who: FromQuery[str] = "all",
                        page: FromQuery[str] = "1", opened: FromQuery[str] = "",
                        ) -> Template | Response[bytes]:
    """Families I can see: search by name or reference, mine as lead or all, a page at a time.

    A professional's pages are kept and served again while none of the families they may see
    has changed (tracker.staff.pages.kept). An admin's are not: they may see every family, and
    counting every family's changes would cost more than the page.
    """
    query, errors = read_query(q, who, page)
    form: dict[str, Any] = {"q": q[:SEARCH_MAX * 2], "who": who if who in dict(FILTERS) else "all"}

    async def build() -> tuple[Template, datetime | None]:
        found = await queries.caseload(staff, query, now=now, policy=policy)
        return render("caseload.html", status=400 if errors else 200, errors=errors, form=form,
                      query=query, filters=FILTERS, plan_words=PLAN_KIND_WORDS,
                      conference_words=CONFERENCE_KIND_WORDS, now=now, opened=opened == "1",
                      **found), _changes_by_itself(found["rows"], now)

    if staff.is_admin or errors or opened:
        return (await build())[0]
    version = await visible_families_version(staff)
    return await kept_page(request, cache_name=CASELOAD_CACHE, version=version, now=now,
                           key=(staff, query, local_date(now)), build=build)


def _changes_by_itself(rows: list[dict[str, Any]], now: datetime) -> datetime | None:
    """The first moment the clock alone changes the page: a next conference or a booked core
    group starting (from then on another is next, or the meeting has been held)."""
    starts = [r["next_conference"]["starts_at"] for r in rows if r["next_conference"]]
    starts += [r["next_core_group"]["booked_at"] for r in rows
               if r["next_core_group"] and r["next_core_group"]["booked_at"]]
    return min((at for at in starts if at is not None and at >= now), default=None)
