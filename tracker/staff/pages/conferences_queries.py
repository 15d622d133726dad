"""Read models for the conference page: the record, its chair, its plan, reports in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tracker.clock import local_date
from tracker.people.tables import StaffUser
from tracker.plans import service
from tracker.plans.tables import Family, Plan
from tracker.staff.pages.common_queries import report_state, reports_for
from tracker.vocabulary import CONFERENCE_KIND_WORDS


async def conference_page(conference_id: int, now: datetime) -> dict[str, Any]:
    """A conference with its family, chair name, plan, and the language check of each step."""
    conference = await service.conference_view(conference_id)
    family = await Family.select(Family.id, Family.name).where(
        Family.id == conference["family_id"]).first()
    chair = None
    if conference["chair_id"]:
        chair = (await StaffUser.select(StaffUser.name).where(
            StaffUser.id == conference["chair_id"]).first() or {}).get("name")
    active_plan = await Plan.select(Plan.id, Plan.version).where(
        (Plan.family == conference["family_id"]) & (Plan.status == "active")).first()
    findings = {field: service.check_language(conference[field])
                for field in service.STEP_FIELDS}
    today = local_date(now)
    files = {r["user_id"]: r["report_file"] for r in await reports_for(conference_id, today)}
    for i in conference["invitees"]:
        i["state"] = report_state(i["report_due_on"], i["report_submitted_at"], today)
        i["report_file"] = files.get(i["user_id"])
    return {
        "conference": conference, "family": family, "chair_name": chair,
        "kind_words": CONFERENCE_KIND_WORDS.get(conference["kind"], conference["kind"]),
        "active_plan": active_plan, "findings": findings,
        "held": conference["starts_at"] <= now,
    }
