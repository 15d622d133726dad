"""The plan use-cases, by capability; this module only re-exports them under one name.

Each capability has its own module (each validates first, then changes rows and appends audit
events in one transaction): `families`, `conferences`, `plan_versions` (create, carry
forward, end), `actions` (outcomes and actions, and the plan read view), `progress`, and
`common` (statutory timings, record-to-family look-ups, the language check). New code imports
from those modules; this façade keeps `service.create_family(...)` working for the callers
written before the split.
"""

from __future__ import annotations

from tracker.plans.actions import (
    action_view,
    add_action,
    add_outcome,
    plan_view,
    update_action,
)
from tracker.plans.common import (
    HISTORY_IS_KEPT,
    PlanPolicy,
    action_family,
    conference_family,
    plan_family,
    staff_directory,
    working_calendar,
)
from tracker.plans.conferences import (
    STEP_FIELDS,
    STEP_MAX,
    booked_conference,
    cancel_conference,
    conference_view,
    create_conference,
    list_conferences,
    mark_report_submitted,
    move_conference,
    update_conference,
)
from tracker.plans.families import create_family, family_view, list_families, update_family
from tracker.plans.plan_versions import create_plan, end_plan, plan_kind_for
from tracker.plans.progress import (
    list_updates,
    plan_audit,
    plan_progress,
    plans_progress,
    record_progress,
)

__all__ = [
    "HISTORY_IS_KEPT", "STEP_FIELDS", "STEP_MAX", "PlanPolicy",
    "action_family", "action_view", "add_action", "add_outcome", "booked_conference",
    "cancel_conference", "conference_family",
    "conference_view", "create_conference", "create_family", "create_plan", "end_plan", "plan_kind_for", "family_view",
    "list_conferences", "list_families", "list_updates", "mark_report_submitted", "move_conference",
    "plan_audit", "plan_family", "plan_progress", "plans_progress", "plan_view", "record_progress",
    "staff_directory", "update_action", "update_conference", "update_family",
    "working_calendar",
]
