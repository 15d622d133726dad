"""Families (cases): open one with its adults and children, change it, read it, list the caller's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tracker import audit
from tracker.audit import Actor
from tracker.clock import local_date
from tracker.db import atomic, by_name
from tracker.errors import FieldErrors, NotFound
from tracker.people.caller import Caller
from tracker.plans import events
from tracker.plans.access import active_user, visible_family_ids
from tracker.plans.common import given
from tracker.plans.events import MemberNoLongerSafe
from tracker.plans.schemas import (
    ChildIn,
    FamilyIn,
    FamilyPatch,
    MemberIn,
)
from tracker.plans.tables import (
    Child,
    Conference,
    Family,
    FamilyMember,
    Plan,
)
from tracker.validate import (
    birth_date_problem,
    check_email,
    check_text,
    expected_date_problem,
    fit_columns,
    normalise_mobile,
)

LEAD_INACTIVE = "Choose an active professional as the lead."


def _member_values(
    item: MemberIn, errors: dict[str, str], prefix: str, *, new: bool
) -> dict[str, Any]:
    """Validated column values for a member; errors are collected under prefix."""
    values: dict[str, Any] = {}
    if new or given(item.name):
        try:
            values["name"] = check_text(
                item.name if given(item.name) else "", field_label="the member's name",
                max_length=200, multiline=False,
            )
        except ValueError as exc:
            errors[f"{prefix}.name"] = str(exc)
    if given(item.relationship):
        values["relationship"] = item.relationship.strip()
    if given(item.mobile):
        if item.mobile in (None, ""):
            values["mobile"] = None
        else:
            try:
                values["mobile"] = normalise_mobile(item.mobile)
            except ValueError as exc:
                errors[f"{prefix}.mobile"] = str(exc)
    if given(item.email):
        if item.email in (None, ""):
            values["email"] = None
        else:
            try:
                values["email"] = check_email(item.email)
            except ValueError as exc:
                errors[f"{prefix}.email"] = str(exc)
    for name in ("preferred_channel", "sms_consent", "safe_to_contact", "language",
                 "interpreter_needed"):
        value = getattr(item, name)
        if given(value):
            values[name] = value
    fit_columns(FamilyMember, values, errors, prefix=f"{prefix}.")
    return values


def _child_values(
    item: ChildIn, errors: dict[str, str], prefix: str, *, new: bool, today: date
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if new or given(item.name):
        try:
            values["name"] = check_text(
                item.name if given(item.name) else "", field_label="the child's first name",
                max_length=100, multiline=False,
            )
        except ValueError as exc:
            errors[f"{prefix}.name"] = str(exc)
    if given(item.date_of_birth):
        values["date_of_birth"] = item.date_of_birth
        if item.date_of_birth and (problem := birth_date_problem(item.date_of_birth, today)):
            errors[f"{prefix}.date_of_birth"] = problem
    if given(item.expected_on):
        values["expected_on"] = item.expected_on
        if item.expected_on and (problem := expected_date_problem(item.expected_on, today)):
            errors[f"{prefix}.expected_on"] = problem
    if new and not values.get("date_of_birth") and not values.get("expected_on"):
        errors[f"{prefix}.date_of_birth"] = (
            "Enter the date of birth, or the expected date for an unborn baby."
        )
    if values.get("date_of_birth") and values.get("expected_on"):
        errors[f"{prefix}.expected_on"] = (
            "Give a date of birth or an expected date, not both."
        )
    fit_columns(Child, values, errors, prefix=f"{prefix}.")
    return values


def _check_member_channel(values: dict[str, Any], current: dict[str, Any] | None,
                                errors: dict[str, str], prefix: str) -> None:
    merged = {**(current or {}), **values}
    channel = merged.get("preferred_channel", "sms")
    if channel == "sms" and not merged.get("mobile"):
        errors.setdefault(f"{prefix}.mobile", "Add a mobile number to send texts, or choose email.")
    if channel == "email" and not merged.get("email"):
        errors.setdefault(f"{prefix}.email", "Add an email address, or choose texts.")


def _check_reference(raw: str, errors: dict[str, str]) -> str:
    """The authority's case reference: optional, one line, at most 50 characters."""
    try:
        return check_text(raw, field_label="the family's reference", required=False,
                          max_length=50, multiline=False)
    except ValueError as exc:
        errors["reference"] = str(exc)
        return ""


async def _check_lead(user_id: int | None, errors: dict[str, str]) -> None:
    if user_id is not None and await active_user(user_id) is None:
        errors["lead_professional_id"] = LEAD_INACTIVE


async def create_family(*, data: FamilyIn, caller: Caller, actor: Actor, now: datetime) -> int:
    """Open a family (case) with its adults and children; the caller leads unless told otherwise."""
    errors: dict[str, str] = {}
    try:
        name = check_text(data.name, field_label="the family's name", max_length=200,
                          multiline=False)
    except ValueError as exc:
        errors["name"] = str(exc)
        name = ""
    reference = _check_reference(data.reference, errors)
    lead_id = data.lead_professional_id if data.lead_professional_id is not None else caller.id
    await _check_lead(lead_id, errors)
    members = []
    for i, item in enumerate(data.members):
        prefix = f"members[{i}]"
        if item.id is not None:
            errors[f"{prefix}.id"] = "Leave out id when adding a new member."
        values = _member_values(item, errors, prefix, new=True)
        _check_member_channel(values, None, errors, prefix)
        members.append(values)
    children = []
    for i, child in enumerate(data.children):
        if child.id is not None:
            errors[f"children[{i}].id"] = "Leave out id when adding a new child."
        children.append(_child_values(child, errors, f"children[{i}]", new=True,
                                      today=local_date(now)))
    if errors:
        raise FieldErrors(errors)

    async with atomic():
        family_id: int = (
            await Family.insert(
                Family(name=name, reference=reference, lead_professional=lead_id,
                       status="open", created_at=now)
            ).returning(Family.id)
        )[0]["id"]
        await audit.record(
            actor=actor, now=now, record_type="family", record_id=family_id, action="create",
            changes=audit.created({"name": name, "reference": reference,
                                   "lead_professional": lead_id}),
            family_id=family_id,
        )
        for values in members:
            await _insert_member(family_id, values, actor, now)
        for values in children:
            await _insert_child(family_id, values, actor, now)
    return family_id


async def _insert_member(family_id: int, values: dict[str, Any], actor: Actor,
                         now: datetime) -> int:
    member_id: int = (
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
    child_id: int = (
        await Child.insert(Child(family=family_id, **values)).returning(Child.id)
    )[0]["id"]
    await audit.record(
        actor=actor, now=now, record_type="child", record_id=child_id, action="create",
        changes=audit.created(values), family_id=family_id,
    )
    return child_id


@dataclass
class FamilyChange:
    """What a family patch changes, and what is wrong with it (worked out without the database)."""

    changes: dict[str, Any] = field(default_factory=dict)
    # (member id, or None for a new member; column values)
    member_ops: list[tuple[int | None, dict[str, Any]]] = field(default_factory=list)
    child_ops: list[tuple[int | None, dict[str, Any]]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def plan_family_change(
    patch: FamilyPatch, *, lead_is_active: bool, members: dict[int, dict[str, Any]],
    children: dict[int, dict[str, Any]], today: date,
) -> FamilyChange:
    """The pure step of update_family: the family's current members and children in, the change out."""
    out = FamilyChange()
    errors = out.errors
    if given(patch.name):
        try:
            out.changes["name"] = check_text(patch.name, field_label="the family's name",
                                             max_length=200, multiline=False)
        except ValueError as exc:
            errors["name"] = str(exc)
    if given(patch.reference):
        out.changes["reference"] = _check_reference(patch.reference, errors)
    if given(patch.lead_professional_id):
        if not lead_is_active:
            errors["lead_professional_id"] = LEAD_INACTIVE
        out.changes["lead_professional"] = patch.lead_professional_id
    if given(patch.status):
        out.changes["status"] = patch.status
    for i, item in enumerate(patch.members if given(patch.members) else []):
        prefix = f"members[{i}]"
        current = members.get(item.id) if item.id is not None else None
        if item.id is not None and current is None:
            errors[f"{prefix}.id"] = "This member is not part of this family."
            continue
        values = _member_values(item, errors, prefix, new=current is None)
        _check_member_channel(values, current, errors, prefix)
        out.member_ops.append((item.id, values))
    for i, child in enumerate(patch.children if given(patch.children) else []):
        prefix = f"children[{i}]"
        if child.id is not None and child.id not in children:
            errors[f"{prefix}.id"] = "This child is not part of this family."
            continue
        out.child_ops.append(
            (child.id, _child_values(child, errors, prefix, new=child.id is None, today=today))
        )
    return out


async def update_family(
    *, family_id: int, patch: FamilyPatch, actor: Actor, now: datetime
) -> None:
    """Change a family; members and children with an id are updated, the rest added."""
    family = await Family.select().where(Family.id == family_id).first()
    if family is None:
        raise NotFound(f"family {family_id}")
    lead_id = patch.lead_professional_id if given(patch.lead_professional_id) else None
    existing_members = {
        m["id"]: m
        for m in await FamilyMember.select().where(FamilyMember.family == family_id)
    }
    existing_children = {
        c["id"]: c for c in await Child.select().where(Child.family == family_id)
    }
    change = plan_family_change(
        patch, lead_is_active=lead_id is None or await active_user(lead_id) is not None,
        members=existing_members, children=existing_children, today=local_date(now),
    )
    if change.errors:
        raise FieldErrors(change.errors)
    async with atomic():
        await _write_family_change(family, change, existing_members, existing_children, actor, now)


async def _write_family_change(
    family: dict[str, Any], change: FamilyChange, existing_members: dict[int, dict[str, Any]],
    existing_children: dict[int, dict[str, Any]], actor: Actor, now: datetime,
) -> None:
    """Inside a transaction: write a checked FamilyChange and its audit events."""
    family_id = family["id"]
    changes = change.changes
    if changes:
        before = {k: family[k] for k in changes}
        await Family.update(by_name(changes)).where(Family.id == family_id)
        await audit.record(
            actor=actor, now=now, record_type="family", record_id=family_id,
            action="update", changes=audit.diff(before, changes), family_id=family_id,
        )
    for member_id, values in change.member_ops:
        if member_id is None:
            await _insert_member(family_id, values, actor, now)
            continue
        before = {k: existing_members[member_id][k] for k in values}
        await FamilyMember.update(by_name(values)).where(FamilyMember.id == member_id)
        delta = audit.diff(before, values)
        if delta:
            await audit.record(
                actor=actor, now=now, record_type="family_member", record_id=member_id,
                action="update", changes=delta, family_id=family_id,
            )
        if values.get("safe_to_contact") is False and before.get("safe_to_contact"):
            # Not safe to contact: their plan link and any open family page stop now.
            await events.publish(MemberNoLongerSafe(member_id=member_id, family_id=family_id),
                                 actor=actor, now=now)
    for child_id, values in change.child_ops:
        if child_id is None:
            await _insert_child(family_id, values, actor, now)
            continue
        before = {k: existing_children[child_id][k] for k in values}
        await Child.update(by_name(values)).where(Child.id == child_id)
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
        "interpreter_needed": m["interpreter_needed"],
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
        "reference": family["reference"],
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
        Family.id, Family.name, Family.status, Family.reference,
        Family.lead_professional.as_alias("lead_professional_id")
    ).order_by(Family.name)
    if visible is not None:
        if not visible:
            return []
        query = query.where(Family.id.is_in(sorted(visible)))
    return await query
