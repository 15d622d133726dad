"""Plan use-cases: each validates first, then changes rows and appends audit events in one transaction."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from msgspec import UNSET

from tracker.clock import LONDON, local_date
from tracker.db import atomic
from tracker.errors import FieldErrors, NotFound
from tracker.plans import audit
from tracker.plans.access import Caller, active_user, parse_roles, visible_family_ids
from tracker.plans.audit import Actor
from tracker.plans.dates import (
    StatutoryRules,
    WorkingCalendar,
    first_core_group_by,
    latest_review_for,
    report_due_on,
)
from tracker.plans.schemas import (
    OPEN_STATUSES,
    ActionIn,
    ActionPatch,
    ChildIn,
    ConferenceFields,
    ConferenceIn,
    ConferencePatch,
    FamilyIn,
    FamilyPatch,
    MemberIn,
    OutcomeIn,
    PlanIn,
)
from tracker.plans.smart import ActionFacts, check_action
from tracker.plans.tables import (
    Action,
    AuditEvent,
    Child,
    Conference,
    ConferenceInvitee,
    Family,
    FamilyMember,
    Outcome,
    OutcomeChild,
    Plan,
    PlanMessage,
    ProgressUpdate,
    StaffUser,
)
from tracker.plans.validate import check_email, check_text, normalise_mobile
from tracker.settings import get_settings

STEP_FIELDS = (
    "family_description",
    "children_views",
    "worries",
    "impact",
    "family_reflections",
    "what_better_looks_like",
    "support_and_contributions",
)
STEP_MAX = 20_000
HISTORY_IS_KEPT = (
    "This plan has been replaced or ended and is kept as history: update the action on the "
    "current plan instead."
)


@lru_cache(maxsize=1)
def working_calendar() -> WorkingCalendar:
    """England's working days (weekends and bank holidays skipped)."""
    return WorkingCalendar.england()


def statutory_rules() -> StatutoryRules:
    """The authority's statutory timings, from settings."""
    s = get_settings()
    return StatutoryRules(
        first_review_months=s.first_review_months,
        later_review_months=s.later_review_months,
        report_working_days_before=s.report_working_days_before,
        first_core_group_working_days=s.first_core_group_working_days,
    )


def _given(value: Any) -> bool:
    return value is not UNSET


def _as_utc(value: datetime) -> datetime:
    """A datetime from the API: naive values are read as Europe/London local time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LONDON)
    from datetime import UTC

    return value.astimezone(UTC)


# ---------------------------------------------------------------- families


def _member_values(
    item: MemberIn, errors: dict[str, str], prefix: str, *, new: bool
) -> dict[str, Any]:
    """Validated column values for a member; errors are collected under prefix."""
    values: dict[str, Any] = {}
    if new or _given(item.name):
        try:
            values["name"] = check_text(
                item.name if _given(item.name) else "", field_label="the member's name",
                max_length=200,
            )
        except ValueError as exc:
            errors[f"{prefix}.name"] = str(exc)
    if _given(item.relationship):
        values["relationship"] = item.relationship.strip()[:100]
    if _given(item.mobile):
        if item.mobile in (None, ""):
            values["mobile"] = None
        else:
            try:
                values["mobile"] = normalise_mobile(item.mobile)
            except ValueError as exc:
                errors[f"{prefix}.mobile"] = str(exc)
    if _given(item.email):
        if item.email in (None, ""):
            values["email"] = None
        else:
            try:
                values["email"] = check_email(item.email)
            except ValueError as exc:
                errors[f"{prefix}.email"] = str(exc)
    for name in ("preferred_channel", "sms_consent", "safe_to_contact", "language"):
        value = getattr(item, name)
        if _given(value):
            values[name] = value
    return values


def _child_values(
    item: ChildIn, errors: dict[str, str], prefix: str, *, new: bool
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if new or _given(item.name):
        try:
            values["name"] = check_text(
                item.name if _given(item.name) else "", field_label="the child's first name",
                max_length=100,
            )
        except ValueError as exc:
            errors[f"{prefix}.name"] = str(exc)
    if _given(item.date_of_birth):
        values["date_of_birth"] = item.date_of_birth
    if _given(item.expected_on):
        values["expected_on"] = item.expected_on
    if new and not values.get("date_of_birth") and not values.get("expected_on"):
        errors[f"{prefix}.date_of_birth"] = (
            "Enter the date of birth, or expected_on for an unborn baby."
        )
    if values.get("date_of_birth") and values.get("expected_on"):
        errors[f"{prefix}.expected_on"] = (
            "Give a date of birth or an expected date, not both."
        )
    return values


async def _check_member_channel(values: dict[str, Any], current: dict[str, Any] | None,
                                errors: dict[str, str], prefix: str) -> None:
    merged = {**(current or {}), **values}
    channel = merged.get("preferred_channel", "sms")
    if channel == "sms" and not merged.get("mobile"):
        errors.setdefault(f"{prefix}.mobile", "Add a mobile number to send texts, or choose email.")
    if channel == "email" and not merged.get("email"):
        errors.setdefault(f"{prefix}.email", "Add an email address, or choose texts.")


async def _check_lead(user_id: int | None, errors: dict[str, str]) -> None:
    if user_id is not None and await active_user(user_id) is None:
        errors["lead_professional_id"] = "Choose an active professional as the lead."


async def create_family(*, data: FamilyIn, caller: Caller, actor: Actor, now: datetime) -> int:
    """Open a family (case) with its adults and children; the caller leads unless told otherwise."""
    errors: dict[str, str] = {}
    try:
        name = check_text(data.name, field_label="the family's name", max_length=200)
    except ValueError as exc:
        errors["name"] = str(exc)
        name = ""
    lead_id = data.lead_professional_id if data.lead_professional_id is not None else caller.id
    await _check_lead(lead_id, errors)
    members = []
    for i, item in enumerate(data.members):
        prefix = f"members[{i}]"
        if item.id is not None:
            errors[f"{prefix}.id"] = "Leave out id when adding a new member."
        values = _member_values(item, errors, prefix, new=True)
        await _check_member_channel(values, None, errors, prefix)
        members.append(values)
    children = []
    for i, child in enumerate(data.children):
        if child.id is not None:
            errors[f"children[{i}].id"] = "Leave out id when adding a new child."
        children.append(_child_values(child, errors, f"children[{i}]", new=True))
    if errors:
        raise FieldErrors(errors)

    async with atomic():
        family_id = (
            await Family.insert(
                Family(name=name, lead_professional=lead_id, status="open", created_at=now)
            ).returning(Family.id)
        )[0]["id"]
        await audit.record(
            actor=actor, now=now, record_type="family", record_id=family_id, action="create",
            changes=audit.created({"name": name, "lead_professional": lead_id}),
            family_id=family_id,
        )
        for values in members:
            await _insert_member(family_id, values, actor, now)
        for values in children:
            await _insert_child(family_id, values, actor, now)
    return family_id


async def _insert_member(family_id: int, values: dict[str, Any], actor: Actor,
                         now: datetime) -> int:
    member_id = (
        await FamilyMember.insert(
            FamilyMember(family=family_id, created_at=now, **values)
        ).returning(FamilyMember.id)
    )[0]["id"]
    await audit.record(
        actor=actor, now=now, record_type="family_member", record_id=member_id,
        action="create", changes=audit.created(values), family_id=family_id,
    )
    return member_id


async def _insert_child(family_id: int, values: dict[str, Any], actor: Actor,
                        now: datetime) -> int:
    child_id = (
        await Child.insert(Child(family=family_id, **values)).returning(Child.id)
    )[0]["id"]
    await audit.record(
        actor=actor, now=now, record_type="child", record_id=child_id, action="create",
        changes=audit.created(values), family_id=family_id,
    )
    return child_id


async def update_family(
    *, family_id: int, patch: FamilyPatch, actor: Actor, now: datetime
) -> None:
    """Change a family; members and children with an id are updated, the rest added."""
    family = await Family.select().where(Family.id == family_id).first()
    if family is None:
        raise NotFound(f"family {family_id}")
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {}
    if _given(patch.name):
        try:
            changes["name"] = check_text(patch.name, field_label="the family's name",
                                         max_length=200)
        except ValueError as exc:
            errors["name"] = str(exc)
    if _given(patch.lead_professional_id):
        await _check_lead(patch.lead_professional_id, errors)
        changes["lead_professional"] = patch.lead_professional_id
    if _given(patch.status):
        changes["status"] = patch.status

    existing_members = {
        m["id"]: m
        for m in await FamilyMember.select().where(FamilyMember.family == family_id)
    }
    member_ops: list[tuple[int | None, dict[str, Any]]] = []
    for i, item in enumerate(patch.members if _given(patch.members) else []):
        prefix = f"members[{i}]"
        current = existing_members.get(item.id) if item.id is not None else None
        if item.id is not None and current is None:
            errors[f"{prefix}.id"] = "This member is not part of this family."
            continue
        values = _member_values(item, errors, prefix, new=current is None)
        await _check_member_channel(values, current, errors, prefix)
        member_ops.append((item.id, values))

    existing_children = {
        c["id"]: c for c in await Child.select().where(Child.family == family_id)
    }
    child_ops: list[tuple[int | None, dict[str, Any]]] = []
    for i, child in enumerate(patch.children if _given(patch.children) else []):
        prefix = f"children[{i}]"
        if child.id is not None and child.id not in existing_children:
            errors[f"{prefix}.id"] = "This child is not part of this family."
            continue
        child_ops.append(
            (child.id, _child_values(child, errors, prefix, new=child.id is None))
        )
    if errors:
        raise FieldErrors(errors)

    async with atomic():
        if changes:
            before = {k: family[k] for k in changes}
            await Family.update(changes).where(Family.id == family_id)
            await audit.record(
                actor=actor, now=now, record_type="family", record_id=family_id,
                action="update", changes=audit.diff(before, changes), family_id=family_id,
            )
        for member_id, values in member_ops:
            if member_id is None:
                await _insert_member(family_id, values, actor, now)
                continue
            before = {k: existing_members[member_id][k] for k in values}
            await FamilyMember.update(values).where(FamilyMember.id == member_id)
            delta = audit.diff(before, values)
            if delta:
                await audit.record(
                    actor=actor, now=now, record_type="family_member", record_id=member_id,
                    action="update", changes=delta, family_id=family_id,
                )
            if values.get("safe_to_contact") is False and before.get("safe_to_contact"):
                # Not safe to contact: their plan link and any open family page stop now.
                from tracker.family.links import _revoke

                await _revoke(member_id=member_id, reason="not_safe_to_contact", now=now,
                              actor=actor)
        for child_id, values in child_ops:
            if child_id is None:
                await _insert_child(family_id, values, actor, now)
                continue
            before = {k: existing_children[child_id][k] for k in values}
            await Child.update(values).where(Child.id == child_id)
            delta = audit.diff(before, values)
            if delta:
                await audit.record(
                    actor=actor, now=now, record_type="child", record_id=child_id,
                    action="update", changes=delta, family_id=family_id,
                )


def _member_view(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": m["id"],
        "name": m["name"],
        "relationship": m["relationship"],
        "mobile": m["mobile"],
        "email": m["email"],
        "preferred_channel": m["preferred_channel"],
        "sms_consent": m["sms_consent"],
        "safe_to_contact": m["safe_to_contact"],
        "opted_out_at": m["opted_out_at"],
        "language": m["language"],
    }


def _child_view(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": c["id"],
        "name": c["name"],
        "date_of_birth": c["date_of_birth"],
        "expected_on": c["expected_on"],
    }


async def family_view(family_id: int) -> dict[str, Any]:
    """A family with its adults, children, current plan and conferences."""
    family = await Family.select().where(Family.id == family_id).first()
    if family is None:
        raise NotFound(f"family {family_id}")
    members = await FamilyMember.select().where(FamilyMember.family == family_id).order_by(
        FamilyMember.id
    )
    children = await Child.select().where(Child.family == family_id).order_by(Child.id)
    plan = (
        await Plan.select(Plan.id)
        .where((Plan.family == family_id) & (Plan.status == "active"))
        .first()
    )
    conferences = await Conference.select(
        Conference.id, Conference.kind, Conference.starts_at
    ).where(Conference.family == family_id).order_by(Conference.starts_at)
    return {
        "id": family["id"],
        "name": family["name"],
        "lead_professional_id": family["lead_professional"],
        "status": family["status"],
        "members": [_member_view(m) for m in members],
        "children": [_child_view(c) for c in children],
        "current_plan_id": plan["id"] if plan else None,
        "conferences": conferences,
    }


async def list_families(caller: Caller) -> list[dict[str, Any]]:
    """The families the caller may see, by name."""
    visible = await visible_family_ids(caller)
    query = Family.select(
        Family.id, Family.name, Family.status, Family.lead_professional.as_alias(
            "lead_professional_id")
    ).order_by(Family.name)
    if visible is not None:
        if not visible:
            return []
        query = query.where(Family.id.is_in(sorted(visible)))
    return await query


# ---------------------------------------------------------------- conferences


async def _conference_values(
    data: ConferenceFields, errors: dict[str, str], *, kind: str | None,
    starts_at_current: datetime | None,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if _given(data.starts_at):
        values["starts_at"] = _as_utc(data.starts_at)
    if _given(data.chair_id):
        if data.chair_id is not None:
            chair = await active_user(data.chair_id)
            if chair is None or "chair" not in parse_roles(chair["roles"]):
                errors["chair_id"] = "Choose an active chair (a QARO) for this conference."
        values["chair"] = data.chair_id
    for name in STEP_FIELDS:
        value = getattr(data, name)
        if _given(value):
            if len(value) > STEP_MAX:
                errors[name] = f"Keep this step to {STEP_MAX} characters or fewer."
            values[name] = value.strip()
    if _given(data.decision):
        values["decision"] = data.decision
    if _given(data.categories):
        values["categories"] = ",".join(sorted(set(data.categories)))
    if _given(data.next_review_on):
        values["next_review_on"] = data.next_review_on
    return values


def _check_decision(merged: dict[str, Any], errors: dict[str, str]) -> None:
    decision = merged.get("decision")
    categories = merged.get("categories") or ""
    if categories and decision != "cp_plan":
        errors["categories"] = "Categories apply only to a child protection plan."
    if decision == "cp_plan" and not categories:
        errors["categories"] = (
            "Choose at least one category for a child protection plan "
            "(neglect, physical, emotional, sexual)."
        )
    review = merged.get("next_review_on")
    starts_at = merged.get("starts_at")
    if review and starts_at:
        held_on = local_date(starts_at)
        latest = latest_review_for(merged["kind"], held_on, statutory_rules())
        if review <= held_on:
            errors["next_review_on"] = "The next review must come after this conference."
        elif review > latest:
            errors["next_review_on"] = (
                f"The next review must be on or before {latest:%-d %B %Y} "
                "(the statutory interval for this kind of conference)."
            )


async def _check_invitees(ids: list[int], errors: dict[str, str]) -> None:
    if len(set(ids)) != len(ids):
        errors["invitee_ids"] = "Each professional can be invited once."
        return
    for user_id in ids:
        if await active_user(user_id) is None:
            errors["invitee_ids"] = f"Professional {user_id} is not an active user."
            return


async def _set_invitees(
    conference_id: int, family_id: int, ids: list[int], starts_at: datetime,
    actor: Actor, now: datetime,
) -> None:
    """Invite exactly these professionals; everyone's report is due 2 working days ahead."""
    due = report_due_on(local_date(starts_at), working_calendar(), statutory_rules())
    current = {
        r["user"]: r
        for r in await ConferenceInvitee.select().where(
            ConferenceInvitee.conference == conference_id
        )
    }
    for user_id in ids:
        if user_id in current:
            if current[user_id]["report_due_on"] != due:
                await ConferenceInvitee.update({ConferenceInvitee.report_due_on: due}).where(
                    ConferenceInvitee.id == current[user_id]["id"]
                )
            continue
        row_id = (
            await ConferenceInvitee.insert(
                ConferenceInvitee(conference=conference_id, user=user_id, report_due_on=due)
            ).returning(ConferenceInvitee.id)
        )[0]["id"]
        await audit.record(
            actor=actor, now=now, record_type="conference_invitee", record_id=row_id,
            action="create",
            changes=audit.created({"conference": conference_id, "user": user_id,
                                   "report_due_on": due}),
            family_id=family_id,
        )
    for user_id, row in current.items():
        if user_id not in ids:
            await ConferenceInvitee.delete().where(ConferenceInvitee.id == row["id"])
            await audit.record(
                actor=actor, now=now, record_type="conference_invitee", record_id=row["id"],
                action="delete", changes={"user": [user_id, None]}, family_id=family_id,
            )


async def create_conference(*, data: ConferenceIn, actor: Actor, now: datetime) -> int:
    """Schedule (and optionally record) a conference for a family."""
    errors: dict[str, str] = {}
    if not _given(data.starts_at):
        errors["starts_at"] = "Enter the date and time the conference starts."
    values = await _conference_values(data, errors, kind=data.kind, starts_at_current=None)
    invitees = data.invitee_ids if _given(data.invitee_ids) else []
    await _check_invitees(invitees, errors)
    if not errors:
        _check_decision({**values, "kind": data.kind}, errors)
    if errors:
        raise FieldErrors(errors)
    async with atomic():
        conference_id = (
            await Conference.insert(
                Conference(family=data.family_id, kind=data.kind, created_at=now, **values)
            ).returning(Conference.id)
        )[0]["id"]
        await audit.record(
            actor=actor, now=now, record_type="conference", record_id=conference_id,
            action="create", changes=audit.created({"kind": data.kind, **values}),
            family_id=data.family_id,
        )
        await _set_invitees(
            conference_id, data.family_id, invitees, values["starts_at"], actor, now
        )
    return conference_id


async def conference_family(conference_id: int) -> int:
    """The family a conference belongs to (NotFound when there is no such conference)."""
    row = await Conference.select(Conference.family).where(
        Conference.id == conference_id
    ).first()
    if row is None:
        raise NotFound(f"conference {conference_id}")
    return int(row["family"])


async def update_conference(
    *, conference_id: int, patch: ConferencePatch, actor: Actor, now: datetime
) -> None:
    """Record the seven steps, the decision, or change the date, chair or invitees."""
    current = await Conference.select().where(Conference.id == conference_id).first()
    if current is None:
        raise NotFound(f"conference {conference_id}")
    errors: dict[str, str] = {}
    values = await _conference_values(
        patch, errors, kind=None, starts_at_current=current["starts_at"]
    )
    if _given(patch.kind):
        values["kind"] = patch.kind
    invitees = patch.invitee_ids if _given(patch.invitee_ids) else None
    if invitees is not None:
        await _check_invitees(invitees, errors)
    if not errors:
        _check_decision({**current, **values}, errors)
    if errors:
        raise FieldErrors(errors)
    async with atomic():
        if values:
            before = {k: current[k] for k in values}
            await Conference.update(values).where(Conference.id == conference_id)
            delta = audit.diff(before, values)
            if delta:
                await audit.record(
                    actor=actor, now=now, record_type="conference", record_id=conference_id,
                    action="update", changes=delta, family_id=current["family"],
                )
        starts_at = values.get("starts_at", current["starts_at"])
        if invitees is not None:
            await _set_invitees(
                conference_id, current["family"], invitees, starts_at, actor, now
            )
        elif "starts_at" in values:
            ids = [
                r["user"] for r in await ConferenceInvitee.select(ConferenceInvitee.user).where(
                    ConferenceInvitee.conference == conference_id)
            ]
            await _set_invitees(conference_id, current["family"], ids, starts_at, actor, now)


async def mark_report_submitted(
    *, conference_id: int, user_id: int, actor: Actor, now: datetime,
    file_path: str | None = None,
) -> None:
    """An invited professional says their report is in."""
    row = await ConferenceInvitee.select().where(
        (ConferenceInvitee.conference == conference_id) & (ConferenceInvitee.user == user_id)
    ).first()
    if row is None:
        raise NotFound(f"invitation to conference {conference_id}")
    family_id = await conference_family(conference_id)
    values: dict[str, Any] = {"report_submitted_at": now}
    if file_path is not None:
        values["report_file"] = file_path
    async with atomic():
        await ConferenceInvitee.update(values).where(ConferenceInvitee.id == row["id"])
        await audit.record(
            actor=actor, now=now, record_type="conference_invitee", record_id=row["id"],
            action="update", changes=audit.diff({k: row[k] for k in values}, values),
            family_id=family_id,
        )


async def conference_view(conference_id: int) -> dict[str, Any]:
    """A conference: when, who chairs, who is invited (reports due/in), the seven steps, decision."""
    c = await Conference.select().where(Conference.id == conference_id).first()
    if c is None:
        raise NotFound(f"conference {conference_id}")
    invitees = await ConferenceInvitee.select(
        ConferenceInvitee.user.as_alias("user_id"),
        ConferenceInvitee.user.name.as_alias("name"),
        ConferenceInvitee.user.agency.as_alias("agency"),
        ConferenceInvitee.report_due_on,
        ConferenceInvitee.report_submitted_at,
    ).where(ConferenceInvitee.conference == conference_id).order_by(ConferenceInvitee.id)
    plan = await Plan.select(Plan.id).where(Plan.conference == conference_id).first()
    held_on = local_date(c["starts_at"])
    rules = statutory_rules()
    statutory = {
        "reports_due_on": report_due_on(held_on, working_calendar(), rules),
        "latest_next_review_on": latest_review_for(c["kind"], held_on, rules),
        "first_core_group_by": (
            first_core_group_by(held_on, working_calendar(), rules) if c["kind"] == "initial_cp" else None
        ),
    }
    return {
        "id": c["id"],
        "family_id": c["family"],
        "kind": c["kind"],
        "starts_at": c["starts_at"],
        "chair_id": c["chair"],
        "invitee_ids": [i["user_id"] for i in invitees],
        "invitees": invitees,
        "steps": {name: c[name] for name in STEP_FIELDS},
        **{name: c[name] for name in STEP_FIELDS},
        "decision": c["decision"],
        "categories": [x for x in (c["categories"] or "").split(",") if x],
        "next_review_on": c["next_review_on"],
        "plan_id": plan["id"] if plan else None,
        "statutory": statutory,
    }


async def list_conferences(
    caller: Caller, *, family_id: int | None = None
) -> list[dict[str, Any]]:
    """Conferences of the families the caller may see, soonest first."""
    visible = await visible_family_ids(caller)
    query = Conference.select(
        Conference.id, Conference.family.as_alias("family_id"), Conference.kind,
        Conference.starts_at, Conference.chair.as_alias("chair_id"), Conference.decision,
    ).order_by(Conference.starts_at)
    if family_id is not None:
        query = query.where(Conference.family == family_id)
    if visible is not None:
        if not visible:
            return []
        query = query.where(Conference.family.is_in(sorted(visible)))
    return await query


# ---------------------------------------------------------------- plans


async def plan_family(plan_id: int) -> int:
    """The family a plan belongs to (NotFound when there is no such plan)."""
    row = await Plan.select(Plan.family).where(Plan.id == plan_id).first()
    if row is None:
        raise NotFound(f"plan {plan_id}")
    return int(row["family"])


async def create_plan(*, data: PlanIn, actor: Actor, now: datetime) -> int:
    """Make the plan a conference decided; a review conference revises the current plan.

    Revising keeps the old plan as history (superseded), copies its outcomes, carries
    forward every open action, and leaves done, not achieved and cancelled ones behind.
    """
    conference = await Conference.select().where(Conference.id == data.conference_id).first()
    if conference is None:
        raise NotFound(f"conference {data.conference_id}")
    errors: dict[str, str] = {}
    expected = {"cp_plan": "child_protection", "cin_plan": "child_in_need"}
    if conference["decision"] == "no_plan":
        errors["conference_id"] = "This conference decided that no plan is needed."
    elif conference["decision"] in expected and expected[conference["decision"]] != data.kind:
        errors["kind"] = (
            f"The conference decided on a {expected[conference['decision']].replace('_', ' ')}"
            " plan."
        )
    if await Plan.exists().where(Plan.conference == data.conference_id):
        errors["conference_id"] = "This conference has already made its plan."
    if errors:
        raise FieldErrors(errors)
    family_id = conference["family"]
    async with atomic():
        previous = await Plan.select().where(
            (Plan.family == family_id) & (Plan.status == "active")
        ).first()
        version = previous["version"] + 1 if previous else 1
        plan_id = (
            await Plan.insert(
                Plan(family=family_id, conference=data.conference_id, kind=data.kind,
                     status="active", version=version,
                     previous=previous["id"] if previous else None, started_at=now)
            ).returning(Plan.id)
        )[0]["id"]
        await audit.record(
            actor=actor, now=now, record_type="plan", record_id=plan_id, action="create",
            changes=audit.created({"kind": data.kind, "version": version,
                                   "conference": data.conference_id}),
            family_id=family_id, plan_id=plan_id,
        )
        if previous:
            await _carry_forward(previous["id"], plan_id, family_id, actor, now)
    return plan_id


async def _carry_forward(old_plan: int, new_plan: int, family_id: int, actor: Actor,
                         now: datetime) -> None:
    await Plan.update({Plan.status: "superseded", Plan.ended_at: now}).where(
        Plan.id == old_plan)
    await audit.record(
        actor=actor, now=now, record_type="plan", record_id=old_plan, action="update",
        changes={"status": ["active", "superseded"]}, family_id=family_id, plan_id=old_plan,
    )
    outcome_map: dict[int, int] = {}
    for outcome in await Outcome.select().where(Outcome.plan == old_plan).order_by(
        Outcome.position
    ):
        new_id = (
            await Outcome.insert(
                Outcome(plan=new_plan, statement=outcome["statement"],
                        measure=outcome["measure"], position=outcome["position"],
                        carried_from=outcome["id"])
            ).returning(Outcome.id)
        )[0]["id"]
        outcome_map[outcome["id"]] = new_id
        for link in await OutcomeChild.select(OutcomeChild.child).where(
            OutcomeChild.outcome == outcome["id"]
        ):
            await OutcomeChild.insert(OutcomeChild(outcome=new_id, child=link["child"]))
        await audit.record(
            actor=actor, now=now, record_type="outcome", record_id=new_id, action="create",
            changes=audit.created({"statement": outcome["statement"],
                                   "carried_from": outcome["id"]}),
            family_id=family_id, plan_id=new_plan,
        )
    open_actions = await Action.select().where(
        (Action.plan == old_plan) & (Action.status.is_in(sorted(OPEN_STATUSES)))
    ).order_by(Action.id)
    for action in open_actions:
        new_id = (
            await Action.insert(
                Action(plan=new_plan, outcome=outcome_map[action["outcome"]],
                       description=action["description"], owner_user=action["owner_user"],
                       owner_member=action["owner_member"],
                       support_offered=action["support_offered"],
                       support_by=action["support_by"], due_on=action["due_on"],
                       success_measure=action["success_measure"], status=action["status"],
                       carried_from=action["id"], created_at=now, updated_at=now)
            ).returning(Action.id)
        )[0]["id"]
        await audit.record(
            actor=actor, now=now, record_type="action", record_id=new_id, action="create",
            changes=audit.created({"description": action["description"],
                                   "status": action["status"], "carried_from": action["id"]}),
            family_id=family_id, plan_id=new_plan,
        )


async def end_plan(*, plan_id: int, actor: Actor, now: datetime) -> None:
    """End a plan (the conference decided no plan is needed, or the case closed)."""
    plan = await Plan.select().where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    if plan["status"] != "active":
        raise FieldErrors({"status": "Only the current plan can be ended."})
    async with atomic():
        await Plan.update({Plan.status: "ended", Plan.ended_at: now}).where(Plan.id == plan_id)
        await audit.record(
            actor=actor, now=now, record_type="plan", record_id=plan_id, action="update",
            changes={"status": ["active", "ended"]}, family_id=plan["family"], plan_id=plan_id,
        )
        # The family's plan links (and open family pages) end with the plan.
        from tracker.family.links import _revoke

        members = FamilyMember.select(FamilyMember.id).where(FamilyMember.family == plan["family"])
        for member in await members:
            await _revoke(member_id=member["id"], reason="plan_ended", now=now, actor=actor)


async def _next_review_for_plan(plan: dict[str, Any], today: date) -> date | None:
    """When the plan is next reviewed: the next scheduled conference, else the decided date."""
    upcoming = await Conference.select(Conference.starts_at).where(
        (Conference.family == plan["family"])
        & (Conference.starts_at >= datetime.combine(today, datetime.min.time(), LONDON))
        & (Conference.id != plan["conference"])
    ).order_by(Conference.starts_at).first()
    if upcoming:
        return local_date(upcoming["starts_at"])
    conference = await Conference.select(Conference.next_review_on).where(
        Conference.id == plan["conference"]
    ).first()
    return conference["next_review_on"] if conference else None


def _action_view(a: dict[str, Any], *, next_review_on: date | None, today: date) -> dict[str, Any]:
    smart = check_action(
        ActionFacts(
            description=a["description"],
            has_owner=a["owner_user"] is not None or a["owner_member"] is not None,
            success_measure=a["success_measure"],
            has_outcome=a["outcome"] is not None,
            due_on=a["due_on"],
            next_review_on=next_review_on,
            support_offered=a["support_offered"],
        )
    )
    overdue = bool(a["due_on"] and a["due_on"] < today and a["status"] in OPEN_STATUSES)
    return {
        "id": a["id"],
        "plan_id": a["plan"],
        "outcome_id": a["outcome"],
        "description": a["description"],
        "owner_user_id": a["owner_user"],
        "owner_member_id": a["owner_member"],
        "support_offered": a["support_offered"],
        "support_by_user_id": a["support_by"],
        "due_on": a["due_on"],
        "success_measure": a["success_measure"],
        "status": a["status"],
        "overdue": overdue,
        "carried_from": a["carried_from"],
        "updated_at": a["updated_at"],
        "smart": smart.to_dict(),
    }


async def plan_view(plan_id: int, *, today: date) -> dict[str, Any]:
    """A plan with its outcomes (and their children), actions and every action's SMART check."""
    plan = await Plan.select().where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    next_review = await _next_review_for_plan(plan, today)
    outcomes = await Outcome.select().where(Outcome.plan == plan_id).order_by(
        Outcome.position, Outcome.id)
    links = await OutcomeChild.select(OutcomeChild.outcome, OutcomeChild.child).where(
        OutcomeChild.outcome.is_in([o["id"] for o in outcomes] or [0])
    )
    actions = await Action.select().where(Action.plan == plan_id).order_by(
        Action.due_on, Action.id)
    by_outcome: dict[int, list[dict[str, Any]]] = {}
    for a in actions:
        by_outcome.setdefault(a["outcome"], []).append(
            _action_view(a, next_review_on=next_review, today=today))
    return {
        "id": plan["id"],
        "family_id": plan["family"],
        "conference_id": plan["conference"],
        "kind": plan["kind"],
        "status": plan["status"],
        "version": plan["version"],
        "previous_plan_id": plan["previous"],
        "started_at": plan["started_at"],
        "next_review_on": next_review,
        "outcomes": [
            {
                "id": o["id"],
                "statement": o["statement"],
                "measure": o["measure"],
                "child_ids": sorted(lk["child"] for lk in links if lk["outcome"] == o["id"]),
                "actions": by_outcome.get(o["id"], []),
            }
            for o in outcomes
        ],
    }


async def add_outcome(*, plan_id: int, data: OutcomeIn, actor: Actor, now: datetime) -> int:
    """Add what better looks like for named children of the plan's family."""
    plan = await Plan.select().where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    errors: dict[str, str] = {}
    try:
        statement = check_text(data.statement, field_label="what better looks like",
                               max_length=2000)
    except ValueError as exc:
        errors["statement"] = str(exc)
    try:
        measure = check_text(data.measure, field_label="how everyone will know",
                             required=False, max_length=2000)
    except ValueError as exc:
        errors["measure"] = str(exc)
    if plan["status"] != "active":
        errors["plan"] = "This plan has been replaced or ended: add outcomes to the current plan."
    family_children = {
        c["id"] for c in await Child.select(Child.id).where(Child.family == plan["family"])
    }
    if not data.child_ids:
        errors["child_ids"] = "Name the children this outcome is for."
    elif not set(data.child_ids) <= family_children:
        errors["child_ids"] = "Choose children from this family."
    if errors:
        raise FieldErrors(errors)
    async with atomic():
        position = await Outcome.count().where(Outcome.plan == plan_id)
        outcome_id = (
            await Outcome.insert(
                Outcome(plan=plan_id, statement=statement, measure=measure, position=position)
            ).returning(Outcome.id)
        )[0]["id"]
        for child_id in sorted(set(data.child_ids)):
            await OutcomeChild.insert(OutcomeChild(outcome=outcome_id, child=child_id))
        await audit.record(
            actor=actor, now=now, record_type="outcome", record_id=outcome_id, action="create",
            changes=audit.created({"statement": statement, "measure": measure,
                                   "child_ids": sorted(set(data.child_ids))}),
            family_id=plan["family"], plan_id=plan_id,
        )
    return outcome_id


async def _check_owner(
    plan: dict[str, Any], user_id: int | None, member_id: int | None,
    errors: dict[str, str], *, field_prefix: str = "owner",
) -> None:
    if user_id is not None and member_id is not None:
        errors[f"{field_prefix}_member_id"] = (
            "An action has one owner: a professional or a family member, not both."
        )
        return
    if user_id is not None and await active_user(user_id) is None:
        errors[f"{field_prefix}_user_id"] = "Choose an active professional."
    if member_id is not None:
        member = await FamilyMember.select().where(FamilyMember.id == member_id).first()
        if member is None or member["family"] != plan["family"]:
            errors[f"{field_prefix}_member_id"] = "Choose an adult from this family."
        elif not member["safe_to_contact"]:
            errors[f"{field_prefix}_member_id"] = (
                "This adult is recorded as not safe to contact, so they cannot be sent or "
                "shown the plan: agree their part through the lead professional instead."
            )


async def add_action(*, plan_id: int, data: ActionIn, actor: Actor, now: datetime) -> int:
    """Add an action to one outcome, with one owner, a due date and a success measure."""
    plan = await Plan.select().where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    errors: dict[str, str] = {}
    if plan["status"] != "active":
        errors["plan"] = "This plan has been replaced or ended: add actions to the current plan."
    try:
        description = check_text(data.description, field_label="what will be done",
                                 max_length=1000)
    except ValueError as exc:
        errors["description"] = str(exc)
    outcome = await Outcome.select().where(Outcome.id == data.outcome_id).first()
    if outcome is None or outcome["plan"] != plan_id:
        errors["outcome_id"] = "Choose an outcome from this plan."
    if data.owner_user_id is None and data.owner_member_id is None:
        errors["owner_user_id"] = "Name one owner: a professional or a family member."
    await _check_owner(plan, data.owner_user_id, data.owner_member_id, errors)
    if data.support_by_user_id is not None and await active_user(data.support_by_user_id) is None:
        errors["support_by_user_id"] = "Choose an active professional."
    for name, label in (("success_measure", "how we'll know it is done"),
                        ("support_offered", "the support offered")):
        try:
            check_text(getattr(data, name), field_label=label, required=False, max_length=1000)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise FieldErrors(errors)
    values = {
        "description": description,
        "owner_user": data.owner_user_id,
        "owner_member": data.owner_member_id,
        "support_offered": data.support_offered.strip(),
        "support_by": data.support_by_user_id,
        "due_on": data.due_on,
        "success_measure": data.success_measure.strip(),
        "status": "not_started",
    }
    async with atomic():
        action_id = (
            await Action.insert(
                Action(plan=plan_id, outcome=data.outcome_id, created_at=now, updated_at=now,
                       **values)
            ).returning(Action.id)
        )[0]["id"]
        await audit.record(
            actor=actor, now=now, record_type="action", record_id=action_id, action="create",
            changes=audit.created({**values, "outcome": data.outcome_id}),
            family_id=plan["family"], plan_id=plan_id,
        )
    return action_id


async def action_family(action_id: int) -> int:
    """The family an action belongs to (NotFound when there is no such action)."""
    row = await Action.select(Action.plan.family.as_alias("family_id")).where(
        Action.id == action_id).first()
    if row is None:
        raise NotFound(f"action {action_id}")
    return int(row["family_id"])


async def action_view(action_id: int, *, today: date) -> dict[str, Any]:
    """One action with its SMART check."""
    a = await Action.select().where(Action.id == action_id).first()
    if a is None:
        raise NotFound(f"action {action_id}")
    plan = await Plan.select().where(Plan.id == a["plan"]).first()
    next_review = await _next_review_for_plan(plan, today) if plan else None
    return _action_view(a, next_review_on=next_review, today=today)


async def update_action(
    *, action_id: int, patch: ActionPatch, actor: Actor, now: datetime
) -> None:
    """Change an action; a status change is also written as a progress update."""
    a = await Action.select().where(Action.id == action_id).first()
    if a is None:
        raise NotFound(f"action {action_id}")
    plan = await Plan.select().where(Plan.id == a["plan"]).first()
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if plan["status"] != "active":
        errors["plan"] = HISTORY_IS_KEPT
    if _given(patch.description):
        try:
            values["description"] = check_text(patch.description,
                                               field_label="what will be done", max_length=1000)
        except ValueError as exc:
            errors["description"] = str(exc)
    owner_user = patch.owner_user_id if _given(patch.owner_user_id) else a["owner_user"]
    owner_member = patch.owner_member_id if _given(patch.owner_member_id) else a["owner_member"]
    if _given(patch.owner_user_id) or _given(patch.owner_member_id):
        if owner_user is None and owner_member is None:
            errors["owner_user_id"] = "Name one owner: a professional or a family member."
        await _check_owner(plan, owner_user, owner_member, errors)
        values["owner_user"] = owner_user
        values["owner_member"] = owner_member
    if _given(patch.outcome_id):
        outcome = await Outcome.select().where(Outcome.id == patch.outcome_id).first()
        if outcome is None or outcome["plan"] != a["plan"]:
            errors["outcome_id"] = "Choose an outcome from this plan."
        values["outcome"] = patch.outcome_id
    if _given(patch.support_by_user_id):
        if patch.support_by_user_id is not None and await active_user(
                patch.support_by_user_id) is None:
            errors["support_by_user_id"] = "Choose an active professional."
        values["support_by"] = patch.support_by_user_id
    for name in ("due_on", "success_measure", "support_offered"):
        value = getattr(patch, name)
        if _given(value):
            if isinstance(value, str):
                if len(value) > 1000:
                    errors[name] = "Keep this to 1000 characters or fewer."
                value = value.strip()
            values[name] = value
    note = patch.note.strip() if _given(patch.note) else ""
    if len(note) > 2000:
        errors["note"] = "Keep the note to 2000 characters or fewer."
    status = patch.status if _given(patch.status) else None
    if errors:
        raise FieldErrors(errors)
    async with atomic():
        if values:
            before = {k: a[k] for k in values}
            await Action.update({**values, "updated_at": now}).where(Action.id == action_id)
            delta = audit.diff(before, values)
            if delta:
                await audit.record(
                    actor=actor, now=now, record_type="action", record_id=action_id,
                    action="update", changes=delta, family_id=plan["family"],
                    plan_id=a["plan"],
                )
        if status is not None or note:
            await _write_progress(a, plan["family"], status, note, actor, now)


async def _write_progress(
    action: dict[str, Any], family_id: int, status: str | None, note: str, actor: Actor,
    now: datetime,
) -> int:
    """Inside a transaction: the immutable progress update, the new status, their audit events."""
    from_status = action["status"]
    to_status = status if status is not None and status != from_status else None
    update_id = (
        await ProgressUpdate.insert(
            ProgressUpdate(
                action=action["id"],
                author_user=actor.user_id if actor.kind == "user" else None,
                author_member=actor.member_id if actor.kind == "member" else None,
                from_status=from_status if to_status else None,
                to_status=to_status,
                note=note,
                channel=actor.channel,
                created_at=now,
            )
        ).returning(ProgressUpdate.id)
    )[0]["id"]
    await audit.record(
        actor=actor, now=now, record_type="progress_update", record_id=update_id,
        action="create",
        changes=audit.created({"action": action["id"], "from_status": from_status,
                               "to_status": to_status, "note": note}),
        family_id=family_id, plan_id=action["plan"],
    )
    if to_status:
        await Action.update({Action.status: to_status, Action.updated_at: now}).where(
            Action.id == action["id"])
        await audit.record(
            actor=actor, now=now, record_type="action", record_id=action["id"],
            action="update", changes={"status": [from_status, to_status]},
            family_id=family_id, plan_id=action["plan"],
        )
    else:
        await Action.update({Action.updated_at: now}).where(Action.id == action["id"])
    return update_id


async def record_progress(
    *, action_id: int, status: str | None, note: str, actor: Actor, now: datetime
) -> int:
    """Add a progress update (a status change, a note, or both) to an action."""
    a = await Action.select().where(Action.id == action_id).first()
    if a is None:
        raise NotFound(f"action {action_id}")
    errors: dict[str, str] = {}
    if await Plan.exists().where((Plan.id == a["plan"]) & (Plan.status != "active")):
        errors["plan"] = HISTORY_IS_KEPT
    note = (note or "").strip()
    if len(note) > 2000:
        errors["note"] = "Keep the note to 2000 characters or fewer."
    if (status is None or status == a["status"]) and not note:
        errors["note"] = "Add a note, or choose a new status."
    if errors:
        raise FieldErrors(errors)
    family_id = await action_family(action_id)
    async with atomic():
        return await _write_progress(a, family_id, status, note, actor, now)


async def list_updates(action_id: int) -> list[dict[str, Any]]:
    """An action's progress updates, oldest first, with who wrote each."""
    rows = await ProgressUpdate.select(
        ProgressUpdate.all_columns(),
        ProgressUpdate.author_user.name.as_alias("author_user_name"),
        ProgressUpdate.author_member.name.as_alias("author_member_name"),
    ).where(ProgressUpdate.action == action_id).order_by(ProgressUpdate.created_at,
                                                          ProgressUpdate.id)
    return [
        {
            "id": r["id"],
            "action_id": r["action"],
            "author": {
                "kind": "user" if r["author_user"] else ("member" if r["author_member"]
                                                         else "system"),
                "user_id": r["author_user"],
                "member_id": r["author_member"],
                "name": r["author_user_name"] or r["author_member_name"] or "",
            },
            "from_status": r["from_status"],
            "to_status": r["to_status"],
            "note": r["note"],
            "channel": r["channel"],
            "created_at": r["created_at"],
        }
        for r in rows
    ]


async def plan_progress(plan_id: int, *, today: date) -> dict[str, Any]:
    """Counts by status, what is overdue, and progress per outcome."""
    plan = await Plan.select(Plan.id).where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    outcomes = await Outcome.select(Outcome.id, Outcome.statement).where(
        Outcome.plan == plan_id).order_by(Outcome.position, Outcome.id)
    actions = await Action.select(
        Action.id, Action.outcome, Action.status, Action.due_on
    ).where(Action.plan == plan_id)
    counts = Counter(a["status"] for a in actions)
    overdue = [a["id"] for a in actions
               if a["due_on"] and a["due_on"] < today and a["status"] in OPEN_STATUSES]
    per_outcome = []
    for o in outcomes:
        mine = [a for a in actions if a["outcome"] == o["id"]]
        counted = [a for a in mine if a["status"] != "cancelled"]
        done = sum(1 for a in counted if a["status"] == "done")
        per_outcome.append({
            "outcome_id": o["id"],
            "statement": o["statement"],
            "total": len(counted),
            "done": done,
            "in_progress": sum(1 for a in counted if a["status"] == "in_progress"),
            "not_started": sum(1 for a in counted if a["status"] == "not_started"),
            "not_achieved": sum(1 for a in counted if a["status"] == "not_achieved"),
            "overdue": sum(1 for a in mine if a["id"] in overdue),
            "percent_done": round(100 * done / len(counted)) if counted else 0,
        })
    return {
        "plan_id": plan_id,
        "as_of": today,
        "total": len(actions),
        "by_status": {s: counts.get(s, 0) for s in
                      ("not_started", "in_progress", "done", "not_achieved", "cancelled")},
        "overdue": len(overdue),
        "overdue_action_ids": sorted(overdue),
        "outcomes": per_outcome,
    }


async def plan_audit(plan_id: int) -> list[dict[str, Any]]:
    """Every audit event about the plan and its family, oldest first."""
    plan = await Plan.select(Plan.family).where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    rows = await AuditEvent.select().where(
        (AuditEvent.plan_id == plan_id) | (AuditEvent.family_id == plan["family"])
    ).order_by(AuditEvent.at, AuditEvent.id)
    return [audit.event_view(r) for r in rows]


async def plan_messages(plan_id: int) -> list[dict[str, Any]]:
    """What the family has written on the plan (family page and text replies)."""
    rows = await PlanMessage.select(
        PlanMessage.all_columns(), PlanMessage.member.name.as_alias("member_name")
    ).where(PlanMessage.plan == plan_id).order_by(PlanMessage.created_at)
    return rows


async def staff_directory() -> list[dict[str, Any]]:
    """Active professionals, for pickers and name look-ups."""
    return await StaffUser.select(
        StaffUser.id, StaffUser.name, StaffUser.email, StaffUser.role_title,
        StaffUser.agency, StaffUser.roles,
    ).where(StaffUser.active == True).order_by(StaffUser.name)  # noqa: E712


__all__ = [
    "create_family", "update_family", "family_view", "list_families",
    "create_conference", "update_conference", "conference_view", "list_conferences",
    "mark_report_submitted", "create_plan", "end_plan", "plan_view", "add_outcome",
    "add_action", "update_action", "record_progress", "list_updates", "plan_progress",
    "plan_audit", "plan_messages", "action_view",
]


@lru_cache(maxsize=1)
def language_rules() -> tuple[Any, ...]:
    """The authority's language rules: LANGUAGE_RULES_PATH when set, else the bundled file."""
    from pathlib import Path

    from tracker.plans.language import load_rules

    path = get_settings().language_rules_path
    return load_rules(Path(path) if path else None)


def check_language(text: str) -> list[dict[str, Any]]:
    """Findings of blaming or deficit phrasing in text, each with a restorative reframe."""
    from tracker.plans.language import check_text as run_check

    return [f.to_dict() for f in run_check(text, language_rules())]


@lru_cache(maxsize=1)
def plain_english_terms() -> tuple[Any, ...]:
    """The authority's jargon list: PLAIN_ENGLISH_TERMS_PATH when set, else the bundled file."""
    from pathlib import Path

    from tracker.plans.plain_english import load_terms

    path = get_settings().plain_english_terms_path
    return load_terms(Path(path) if path else None)


def check_wording(text: str, audience: str = "professional") -> dict[str, Any]:
    """All checks for an audience: {"findings": [...]} plus "reading_age" for a family."""
    from tracker.plans.plain_english import check_wording as run_checks

    return run_checks(text, audience, language_rules(), plain_english_terms())
