"""Staff pages served again while what they show is unchanged: a per-process cache.

A kept page's version is read in the request BEFORE its data, for the reason
tracker.plans.read_cache gives (a change committing between the two reads is in the data,
never missing from it). It is two numbers:

- the audit events of each family the page can show: every change to a family, its plans,
  actions, progress, conferences, reports, core groups and messages appends one in the change's
  own transaction, and audit events are never updated or deleted, so the count goes up exactly
  when something about those families changed;
- the change count of professionals' records (`change_counter`, kept by database triggers on
  staff_user: tracker/plans/migrations/plans_2026_11_28t16_10_00_000000.py), for the names,
  agencies and leavers the page shows.

The key holds everything else the page depends on: who is asking (the layout shows their name
and menu), what the address asked for, and the local day (actions become overdue, reports late).
A kept page also carries the moment the clock alone would change it (a booked meeting starting
turns "booked" into "held"); from then on it is built again. Each process keeps its own pages;
every process reads the versions from the one database, so none serves what another changed.

Pages are rendered with a stand-in for the CSRF token, which is each browser's own, put in on
the way out. Pages with field errors or notices are never kept.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Request
from litestar.enums import MediaType
from litestar.response import Response, Template
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState

from tracker.audit import AuditEvent
from tracker.people.caller import Caller
from tracker.plans.access import VISIBLE_FAMILY_IDS_SQL, VISIBLE_PLACEHOLDERS
from tracker.plans.read_cache import app_cache

STAFF_VERSION_SQL = (
    "(SELECT COALESCE(MAX(cc.n), -1) FROM change_counter cc WHERE cc.name = 'staff_user')")
"""The change count of professionals' records, as a scalar subquery."""

Version = tuple[int, tuple[tuple[int, int], ...]]
"""The staff change count, and each family the page can show with its audit event count."""


def version_sql(family_ids_sql: str) -> str:
    """The statement reading a page's version, given a subquery naming (as `id`) the families
    the page can show: one row per family with its number of audit events (the audit_event
    family_id index answers each), and the staff change count on every row (one row with no
    family when there are none).

    Each family is named, not only counted: were the families summed, one leaving the page and
    another joining with as many events would leave the sum, and so a stale page, unchanged.
    """
    # Constant SQL text around a constant subquery: every value stays a bound parameter.
    return ("SELECT s.staff, v.id AS family_id, "  # noqa: S608
            "(SELECT COUNT(*) FROM audit_event ae WHERE ae.family_id = v.id) AS n "
            f"FROM (SELECT {STAFF_VERSION_SQL} AS staff) s "
            f"LEFT JOIN ({family_ids_sql}) v ON 1 = 1")


async def read_version(statement: str, *values: Any) -> Version:
    """Run a version_sql statement: read it BEFORE the data it guards."""
    rows = await AuditEvent.raw(statement, *values)
    families = sorted((int(r["family_id"]), int(r["n"])) for r in rows
                      if r["family_id"] is not None)
    return int(rows[0]["staff"]), tuple(families)


_VISIBLE_VERSION_SQL = version_sql(VISIBLE_FAMILY_IDS_SQL)


async def visible_families_version(caller: Caller) -> Version:
    """The version of a page drawn from every family a professional may see
    (tracker.plans.access): their caseload and their desk."""
    return await read_version(_VISIBLE_VERSION_SQL, *[caller.id] * VISIBLE_PLACEHOLDERS)


@dataclass(frozen=True)
class KeptPage:
    """A rendered page and the moment (if any) the clock alone would change it."""

    html: str
    until: datetime | None


Build = Callable[[], Awaitable[tuple[Template, datetime | None]]]
"""Builds the page afresh: the template response, and when the clock alone would change it."""

_CSRF_STAND_IN = secrets.token_hex(24)


def _render(request: Request[Any, Any, Any], template: Template) -> str:
    engine = request.app.template_engine
    assert engine is not None  # noqa: S101 - the app always has one
    assert template.template_name is not None  # noqa: S101 - staff pages are named templates
    state = ScopeState.from_scope(request.scope)
    token = state.csrf_token
    state.csrf_token = _CSRF_STAND_IN  # both csrf_input and csrf_token() read it
    try:
        return engine.get_template(template.template_name).render(
            **template.create_template_context(request))
    finally:
        state.csrf_token = token


async def kept_page(request: Request[Any, Any, Any], *, cache_name: str, key: Hashable,
                    version: Hashable, now: datetime, build: Build) -> Response[bytes]:
    """The page kept under key for exactly this version (and not past its `until`), else
    built, rendered and kept; with this browser's CSRF token put in."""
    cache = app_cache(request.app.state, cache_name, size=512)
    kept: KeptPage | None = cache.get(key, version)
    status: int = 200
    if kept is None or (kept.until is not None and now >= kept.until):
        template, until = await build()
        status = template.status_code or 200
        kept = KeptPage(html=_render(request, template), until=until)
        if status == 200:
            cache.put(key, version, kept)
    token = value_or_default(ScopeState.from_scope(request.scope).csrf_token, "")
    return Response(content=kept.html.replace(_CSRF_STAND_IN, token).encode(),
                    media_type=MediaType.HTML, status_code=status)
