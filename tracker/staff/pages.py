"""The professionals' and chairs' pages, gathered for the app: actions, conferences, plans, chair."""

from __future__ import annotations

from typing import Any

from tracker.staff import (
    pages_actions,
    pages_arrange,
    pages_chair,
    pages_family_links,
    pages_plans,
    pages_reports,
)

ROUTES: list[Any] = [*pages_actions.ROUTES, *pages_plans.ROUTES, *pages_chair.ROUTES,
                     *pages_family_links.ROUTES, *pages_reports.ROUTES, *pages_arrange.ROUTES]
