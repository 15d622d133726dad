"""Read models more than one staff page shows: words for kinds, report states, names, pictures.

Handlers stay thin: each page asks one function in its own `*_queries` module (or in
tracker.plans.service) for what it shows. Access is decided before these run, through
tracker.plans.access.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

from tracker.clock import LONDON, local_date
from tracker.people.caller import parse_roles
from tracker.people.tables import StaffUser
from tracker.plans import service
from tracker.plans.tables import (
    Action,
    Child,
    ConferenceInvitee,
    Family,
    FamilyMember,
    ProgressUpdate,
)
from tracker.staff import charts
from tracker.staff.pages import pickers


def start_of_day(day: date) -> datetime:
    """Midnight in London on a date, as a UTC instant."""
    return datetime.combine(day, time(0), LONDON).astimezone(UTC)


def report_state(due_on: date | None, submitted_at: datetime | None, today: date) -> str:
    """in (on time), in_late, late (not in, past due) or due (not in yet, still time)."""
    if submitted_at is not None:
        if due_on is not None and local_date(submitted_at) > due_on:
            return "in_late"
        return "in"
    if due_on is not None and today > due_on:
        return "late"
    return "due"


async def reports_for(conference_id: int, today: date) -> list[dict[str, Any]]:
    """Invited professionals with their report's due date and state."""
    rows = await ConferenceInvitee.select(
        ConferenceInvitee.user.as_alias("user_id"),
        ConferenceInvitee.user.name.as_alias("name"),
        ConferenceInvitee.user.agency.as_alias("agency"),
        ConferenceInvitee.report_due_on, ConferenceInvitee.report_submitted_at,
        ConferenceInvitee.report_file,
    ).where(ConferenceInvitee.conference == conference_id).order_by(ConferenceInvitee.id)
    for r in rows:
        r["state"] = report_state(r["report_due_on"], r["report_submitted_at"], today)
    return rows


def report_counts(reports: list[dict[str, Any]]) -> dict[str, int]:
    """Reports in, and how many are late (in after the due date, or not in past it)."""
    return {
        "invited": len(reports),
        "received": sum(1 for r in reports if r["state"] in ("in", "in_late")),
        "late": sum(1 for r in reports if r["state"] in ("in_late", "late")),
    }


async def report_file(conference_id: int, user_id: int) -> str | None:
    """Where a professional's attached report for a conference is kept (None when no file)."""
    row = await ConferenceInvitee.select(ConferenceInvitee.report_file).where(
        (ConferenceInvitee.conference == conference_id) & (ConferenceInvitee.user == user_id)
    ).first()
    return row["report_file"] if row else None


async def family_row(family_id: int) -> dict[str, Any] | None:
    """A family's id and name."""
    return await Family.select(Family.id, Family.name).where(Family.id == family_id).first()


async def owner_choices(family_id: int, *, search: str = "",
                        keep: Iterable[int] = ()) -> dict[str, Any]:
    """Who can own an action: the family's adults safe to contact, the professionals working
    with the family (and `keep`, the owner already chosen), then a search (tracker.staff.pages.pickers)."""
    return await pickers.owner_choices(family_id, search=search, keep=keep)


async def names_for(plan: dict[str, Any]) -> dict[str, dict[int, str]]:
    """Names of children, adults and professionals a plan page mentions."""
    children = await Child.select(Child.id, Child.name).where(Child.family == plan["family_id"])
    members = await FamilyMember.select(FamilyMember.id, FamilyMember.name).where(
        FamilyMember.family == plan["family_id"])
    staff = await StaffUser.select(StaffUser.id, StaffUser.name)
    return {"children": {c["id"]: c["name"] for c in children},
            "members": {m["id"]: m["name"] for m in members},
            "staff": {s["id"]: s["name"] for s in staff}}


async def status_history(plan_id: int, *, start: date, end: date) -> list[charts.StatusPoint]:
    """The plan's action statuses day by day, from the progress updates."""
    actions = await Action.select(Action.id, Action.created_at, Action.status).where(
        (Action.plan == plan_id) & (Action.status != "cancelled"))
    updates = await ProgressUpdate.select(
        ProgressUpdate.action, ProgressUpdate.from_status, ProgressUpdate.to_status,
        ProgressUpdate.created_at,
    ).where(ProgressUpdate.action.is_in([a["id"] for a in actions] or [0]))
    return charts.status_series(actions, updates, start=start, end=end)


async def plan_pictures(plan: dict[str, Any], today: date) -> dict[str, Any]:
    """Both charts for a plan, with the figures for their text alternatives."""
    progress = await service.plan_progress(plan["id"], today=today)
    bars = charts.outcome_bars_from_progress(progress)
    start = local_date(plan["started_at"])
    series = await status_history(plan["id"], start=start, end=max(today, start))
    return {
        "progress": progress,
        "bars": bars,
        "outcome_svg": charts.outcome_progress_svg(bars),
        "series_points": charts.key_points(series),
        "status_svg": charts.status_over_time_svg(series),
    }


async def arranging_people(family_id: int | None = None, *, search: str = "",
                           keep: Iterable[int] = ()) -> dict[str, Any]:
    """Active chairs, and the professionals who could be invited: those working with the family
    and any already invited first, then whoever a search finds (without a family: everyone)."""
    people = await service.staff_directory()
    chairs = [p for p in people if "chair" in parse_roles(p["roles"])]
    if family_id is None:
        return {"chairs": chairs, "professionals": people, "found": [], "invitee_search": ""}
    around = await pickers.people_around(family_id, search=search, keep=keep)
    return {"chairs": chairs, "professionals": around["staff"], "found": around["found"],
            "invitee_search": search}
