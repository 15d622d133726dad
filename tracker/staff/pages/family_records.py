"""Family records on the web: open a family, change its details, add and change adults and children.

Every save goes through the same use-cases as the JSON API (tracker/plans/families.py), so the
validation, the audit trail and the ending of plan links are the same. Changing a family is for
whoever may manage it (the lead, the chair, an admin: tracker/plans/access.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from tracker.errors import FieldErrors, NotFound
from tracker.people.caller import Caller
from tracker.plans import families
from tracker.plans.access import can_see_family, require_manage
from tracker.plans.schemas import FamilyPatch
from tracker.staff.pages import family_forms as ff
from tracker.staff.pages import family_records_queries as queries
from tracker.staff.pages import fields, pickers
from tracker.staff.pages.common import render, see_other, web_actor

# ---------------------------------------------------------------- a new family


async def _leads(staff: Caller, form: dict[str, Any], search: str = "",
                 current: int | None = None) -> dict[str, Any]:
    """The lead picker: the caller, the lead chosen or current, and a Find's results."""
    return await queries.lead_choices(keep=[staff.id, current, fields.int_or_none(str(form.get("lead") or ""))],
                                      search=search)


async def _new_page(staff: Caller, form: dict[str, Any], errors: dict[str, str],
                    status: int = 200, search: str = "") -> Template:
    return render("family_new.html", status=status, form=form, errors=errors,
                  **await _leads(staff, form, search))


@get("/families/new")
async def new_family_form(staff: NamedDependency[Caller]) -> Template:
    """Open a new family: name, reference, lead professional (you, unless you choose another)."""
    return await _new_page(staff, {"name": "", "reference": "", "lead": str(staff.id)}, {})


@post("/families/new")
async def create_family(data: URLEncodedBody[dict[str, Any]], staff: NamedDependency[Caller],
                        now: NamedDependency[datetime]) -> Template | Redirect:
    """Save the new family, then go to its record to add the adults and children."""
    form = ff.new_family(data)
    if (find := pickers.find_pressed(data, "find_lead", "lead_q", "lead-q")) is not None:
        # "Find" beside the lead: the same form back with the search's finds; nothing saved.
        return await _new_page(staff, form.echo, find[1], status=400 if find[1] else 200, search=find[0])
    errors = form.errors
    if form.value is not None:
        try:
            family_id = await families.create_family(data=form.value, caller=staff,
                                                     actor=web_actor(staff), now=now)
        except FieldErrors as exc:
            errors = form.service_errors(exc)
        else:
            if await can_see_family(staff, family_id):
                return see_other(f"/families/{family_id}")
            return see_other("/families?opened=1")
    return await _new_page(staff, form.echo, errors, status=400)


# ---------------------------------------------------------------- the family's details


@get("/families/{family_id:int}/details")
async def details_form(family_id: FromPath[int], staff: NamedDependency[Caller]) -> Template:
    """Change the family's name, reference or lead professional."""
    await require_manage(staff, family_id)
    family = await families.family_view(family_id)
    echo = {"name": family["name"], "reference": family["reference"],
            "lead": str(family["lead_professional_id"] or "")}
    return render("family_details.html", family=family, form=echo, errors={},
                  **await _leads(staff, echo, current=family["lead_professional_id"]))


@post("/families/{family_id:int}/details")
async def save_details(family_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                       staff: NamedDependency[Caller],
                       now: NamedDependency[datetime]) -> Template | Redirect:
    """Save the family's details (audited)."""
    await require_manage(staff, family_id)
    form = ff.family_details(data)
    if (find := pickers.find_pressed(data, "find_lead", "lead_q", "lead-q")) is not None:
        family = await families.family_view(family_id)
        return render("family_details.html", status=400 if find[1] else 200, family=family,
                      form=form.echo, errors=find[1],
                      **await _leads(staff, form.echo, find[0], current=family["lead_professional_id"]))
    errors = form.errors
    if form.value is not None:
        try:
            await families.update_family(family_id=family_id, patch=form.value,
                                         actor=web_actor(staff), now=now)
            return see_other(f"/families/{family_id}")
        except FieldErrors as exc:
            errors = form.service_errors(exc)
    family = await families.family_view(family_id)
    return render("family_details.html", status=400, family=family, form=form.echo, errors=errors,
                  **await _leads(staff, form.echo, current=family["lead_professional_id"]))


# ---------------------------------------------------------------- adults


def _member_page(family: dict[str, Any], member: dict[str, Any] | None, form: dict[str, Any],
                 errors: dict[str, str], status: int = 200) -> Template:
    return render("family_member.html", status=status, family=family, member=member, form=form,
                  errors=errors, channels=ff.CHANNELS, languages=ff.LANGUAGES, yes_no=ff.YES_NO)


async def _member_of(family: dict[str, Any], member_id: int) -> dict[str, Any]:
    found = next((m for m in family["members"] if m["id"] == member_id), None)
    if found is None:
        raise NotFound(f"member {member_id}")
    return found


@get("/families/{family_id:int}/members/new")
async def new_member_form(family_id: FromPath[int], staff: NamedDependency[Caller]) -> Template:
    """Add an adult to the family."""
    await require_manage(staff, family_id)
    return _member_page(await families.family_view(family_id), None, ff.member_echo(None), {})


@get("/families/{family_id:int}/members/{member_id:int}")
async def member_form(family_id: FromPath[int], member_id: FromPath[int],
                      staff: NamedDependency[Caller]) -> Template:
    """Change an adult's details, how to reach them, consent and safety."""
    await require_manage(staff, family_id)
    family = await families.family_view(family_id)
    member = await _member_of(family, member_id)
    return _member_page(family, member, ff.member_echo(member), {})


@post("/families/{family_id:int}/members/new")
async def add_member(family_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                     staff: NamedDependency[Caller],
                     now: NamedDependency[datetime]) -> Template | Redirect:
    """Save a new adult (audited)."""
    return await _save_member(family_id, None, data, staff, now)


@post("/families/{family_id:int}/members/{member_id:int}")
async def change_member(family_id: FromPath[int], member_id: FromPath[int],
                        data: URLEncodedBody[dict[str, Any]], staff: NamedDependency[Caller],
                        now: NamedDependency[datetime]) -> Template | Redirect:
    """Save an adult's changes; marking them not safe to contact asks first, then ends their links."""
    return await _save_member(family_id, member_id, data, staff, now)


async def _save_member(family_id: int, member_id: int | None, data: dict[str, Any],
                       staff: Caller, now: datetime) -> Template | Redirect:
    await require_manage(staff, family_id)
    family = await families.family_view(family_id)
    member = await _member_of(family, member_id) if member_id is not None else None
    form = ff.member(data, member_id=member_id)
    errors = form.errors
    if form.value is not None:
        if (member is not None and member["safe_to_contact"]
                and form.value.safe_to_contact is False and data.get("confirm") != "yes"):
            return render("family_member_unsafe.html", family=family, member=member,
                          form=form.echo)
        try:
            await families.update_family(family_id=family_id,
                                         patch=FamilyPatch(members=[form.value]),
                                         actor=web_actor(staff), now=now)
            return see_other(f"/families/{family_id}#adults")
        except FieldErrors as exc:
            errors = form.service_errors(exc)
    return _member_page(family, member, form.echo, errors, status=400)


# ---------------------------------------------------------------- children


def _child_page(family: dict[str, Any], child: dict[str, Any] | None, form: dict[str, Any],
                errors: dict[str, str], status: int = 200) -> Template:
    return render("family_child.html", status=status, family=family, child=child, form=form,
                  errors=errors)


async def _child_of(family: dict[str, Any], child_id: int) -> dict[str, Any]:
    found = next((c for c in family["children"] if c["id"] == child_id), None)
    if found is None:
        raise NotFound(f"child {child_id}")
    return found


@get("/families/{family_id:int}/children/new")
async def new_child_form(family_id: FromPath[int], staff: NamedDependency[Caller]) -> Template:
    """Add a child, or an unborn baby, to the family."""
    await require_manage(staff, family_id)
    return _child_page(await families.family_view(family_id), None, ff.child_echo(None), {})


@get("/families/{family_id:int}/children/{child_id:int}")
async def child_form(family_id: FromPath[int], child_id: FromPath[int],
                     staff: NamedDependency[Caller]) -> Template:
    """Change a child's name or dates (a baby's expected date becomes a date of birth)."""
    await require_manage(staff, family_id)
    family = await families.family_view(family_id)
    child = await _child_of(family, child_id)
    return _child_page(family, child, ff.child_echo(child), {})


@post("/families/{family_id:int}/children/new")
async def add_child(family_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                    staff: NamedDependency[Caller],
                    now: NamedDependency[datetime]) -> Template | Redirect:
    """Save a new child (audited)."""
    return await _save_child(family_id, None, data, staff, now)


@post("/families/{family_id:int}/children/{child_id:int}")
async def change_child(family_id: FromPath[int], child_id: FromPath[int],
                       data: URLEncodedBody[dict[str, Any]], staff: NamedDependency[Caller],
                       now: NamedDependency[datetime]) -> Template | Redirect:
    """Save a child's changes (audited)."""
    return await _save_child(family_id, child_id, data, staff, now)


async def _save_child(family_id: int, child_id: int | None, data: dict[str, Any],
                      staff: Caller, now: datetime) -> Template | Redirect:
    await require_manage(staff, family_id)
    family = await families.family_view(family_id)
    child = await _child_of(family, child_id) if child_id is not None else None
    form = ff.child(data, child_id=child_id)
    errors = form.errors
    if form.value is not None:
        try:
            await families.update_family(family_id=family_id,
                                         patch=FamilyPatch(children=[form.value]),
                                         actor=web_actor(staff), now=now)
            return see_other(f"/families/{family_id}#children")
        except FieldErrors as exc:
            errors = form.service_errors(exc)
    return _child_page(family, child, form.echo, errors, status=400)
