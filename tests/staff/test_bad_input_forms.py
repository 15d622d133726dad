"""Bad input to every web form (staff, admin, sign-in, family): a 4xx with a message, nothing written.

Each row posts one wrong value in an otherwise ordinary form, as a browser (or someone with
curl) could. After each, every table's row count, the audit trail and the world's family,
conference, plan and action are exactly as before (issue 11 parts 1 and 2), on SQLite and
PostgreSQL. The issue's reproductions: NUL in the unauthenticated sign-in and reset forms (500 on
PostgreSQL), year 9999 typed into a date, Unicode digits such as "²" in id fields, ids beyond
the database's integer range, text longer than its column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.conftest import START
from tests.family.conftest import continue_from, csrf_from, texted_link
from tests.support.bad_input import changed, snapshot
from tests.support.factories import World, make_user
from tests.support.staff import CSRF_COOKIE, sign_in
from tests.support.staff_pages import PASSWORD, give_password, signable_world

BIG = 2**31
HUGE = 2**63
NUL = "a\x00b"


@dataclass(frozen=True)
class Form:
    """One bad form post."""

    name: str
    who: str  # lead, admin, anonymous, family
    path: str  # with {family}, {conference}, {plan}, {action}, {member}, {outcome}, {invitee}, {lead}
    fields: Callable[[World], dict[str, Any]] | None = None
    status: int = 400
    says: str | None = None  # the answer must contain this (a field message or the field's name)
    raw: bytes | None = None  # an encoded body to send as it is (the CSRF token is appended)


def ids(w: World) -> dict[str, Any]:
    return {"family": w.family["id"], "conference": w.conference_id, "plan": w.plan_id,
            "action": w.action_id, "member": w.family["members"][0]["id"], "outcome": w.outcome_id,
            "invitee": w.invitee.id, "lead": w.lead.id, "child": w.family["children"][0]["id"]}


def when(year: str = "2026", month: str = "12", day: str = "21", prefix: str = "starts-on") -> dict[str, str]:
    return {f"{prefix}-day": day, f"{prefix}-month": month, f"{prefix}-year": year}


def arrange(w: World, **over: Any) -> dict[str, Any]:
    return {"kind": "review_cp", **when(), "starts_time": "10:00", "chair": str(w.chair.id),
            "invitees": [str(w.invitee.id)], **over}


def action_form(w: World, **over: Any) -> dict[str, Any]:
    return {"outcome_id": str(w.outcome_id), "owner": f"user:{w.invitee.id}",
            "description": "Phone Jess every Monday at 9:15 to plan the week.",
            "success_measure": "Six calls logged.", **when(prefix="action-due"), **over}


def record(w: World, **over: Any) -> dict[str, Any]:
    return {"family_description": "Jess and Rosie.", "decision": "cp_plan", "categories": ["neglect"],
            **when(year="2027", month="1", day="20", prefix="next_review"), **over}


def user_form(**over: Any) -> dict[str, Any]:
    return {"name": "Nia Jones", "email": "nia.bad-input@example.org", "role_title": "Health visitor",
            "agency": "NHS", "phone": "", "roles": ["professional"], **over}


FORMS: list[Form] = [
    # ---------------------------------------- signed out: sign-in and password reset
    Form("sign-in email with NUL", "anonymous", "/signin",
         lambda w: {"email": f"a\x00{w.lead.email}", "password": PASSWORD}, says="email"),
    Form("sign-in password with NUL", "anonymous", "/signin",
         lambda w: {"email": w.lead.email, "password": "pass\x00word"}, says="password"),
    Form("sign-in email not UTF-8", "anonymous", "/signin", raw=b"email=%FF%FE%40x.org&password=x",
         says="UTF-8"),
    Form("reset request with NUL", "anonymous", "/reset", lambda w: {"email": NUL}, says="email"),
    Form("reset with a token holding NUL", "anonymous", "/reset/abc%00def",
         lambda w: {"password": "a long enough password", "confirm": "a long enough password"},
         status=404),
    Form("reset password with NUL", "anonymous", "/reset/not-a-real-token",
         lambda w: {"password": "a long\x00 password", "confirm": "a long\x00 password"}, says="password"),
    # ---------------------------------------- admin
    Form("new user with NUL in the name", "admin", "/admin/users/new", lambda w: user_form(name=NUL),
         says="name"),
    Form("new user role longer than its column", "admin", "/admin/users/new",
         lambda w: user_form(role_title="x" * 201), says="200 characters or fewer"),
    Form("new user agency longer than its column", "admin", "/admin/users/new",
         lambda w: user_form(agency="x" * 201), says="200 characters or fewer"),
    Form("new user phone in superscript digits", "admin", "/admin/users/new",
         lambda w: user_form(phone="²²²²²²²²"), says="Enter a phone number"),
    Form("new user email on two lines", "admin", "/admin/users/new",
         lambda w: user_form(email="nia@example.org\nbcc@example.org"), says="Enter an email address"),
    Form("changed user role longer than its column", "admin", "/admin/users/{invitee}",
         lambda w: user_form(name=w.invitee.name, email=w.invitee.email, role_title="x" * 201),
         says="200 characters or fewer"),
    Form("changed user beyond int4", "admin", f"/admin/users/{BIG}", lambda w: user_form(), status=404),
    Form("deactivate a user beyond int8", "admin", f"/admin/users/{HUGE}/deactivate", status=404),
    Form("send a link to a user beyond int4", "admin", f"/admin/users/{BIG}/send-link", status=404),
    Form("reactivate a user beyond int4", "admin", f"/admin/users/{BIG}/reactivate", status=404),
    # ---------------------------------------- my actions
    Form("action update with NUL in the note", "lead", "/actions/{action}/update",
         lambda w: {"status": "in_progress", "note": NUL}, says="note"),
    Form("action update beyond int4", "lead", f"/actions/{BIG}/update",
         lambda w: {"status": "in_progress", "note": "x"}, status=404),
    Form("report for a conference beyond int8", "lead", f"/conferences/{HUGE}/report", status=404),
    # ---------------------------------------- arranging a conference
    Form("conference in year 9999", "lead", "/families/{family}/conferences/new",
         lambda w: arrange(w, **when(year="9999", month="12", day="31")), says="must be between"),
    Form("conference in year 0001", "lead", "/families/{family}/conferences/new",
         lambda w: arrange(w, **when(year="0001", month="1", day="1")), says="must be"),
    Form("conference year in superscript digits", "lead", "/families/{family}/conferences/new",
         lambda w: arrange(w, **when(year="²⁰²⁶")), says="must be a real date"),
    Form("conference chair in superscript digits", "lead", "/families/{family}/conferences/new",
         lambda w: arrange(w, chair="²"), says="Choose who will chair"),
    Form("conference chair beyond int4", "lead", "/families/{family}/conferences/new",
         lambda w: arrange(w, chair=str(BIG)), says="Choose who will chair"),
    Form("conference invitee beyond int8", "lead", "/families/{family}/conferences/new",
         lambda w: arrange(w, invitees=[str(HUGE)]), says="Choose professionals from the list"),
    Form("conference kind with NUL", "lead", "/families/{family}/conferences/new",
         lambda w: arrange(w, kind="review\x00cp"), says="kind"),
    Form("conference for a family beyond int4", "lead", f"/families/{BIG}/conferences/new",
         lambda w: arrange(w), status=404),
    Form("moving a conference to year 9999", "lead", "/conferences/{conference}/arrangements",
         lambda w: arrange(w, **when(year="9999", month="12", day="31")), says="must be between"),
    Form("moving a conference beyond int4", "lead", f"/conferences/{BIG}/arrangements",
         lambda w: arrange(w), status=404),
    # ---------------------------------------- recording a conference, making its plan
    Form("record with NUL in a step", "lead", "/conferences/{conference}/record",
         lambda w: record(w, worries=NUL), says="worries"),
    Form("record review in year 9999", "lead", "/conferences/{conference}/record",
         lambda w: record(w, **when(year="9999", month="12", day="31", prefix="next_review")),
         says="must be between"),
    Form("record review in superscript digits", "lead", "/conferences/{conference}/record",
         lambda w: record(w, **when(day="²", prefix="next_review")), says="must be a real date"),
    Form("record beyond int4", "lead", f"/conferences/{BIG}/record", lambda w: record(w), status=404),
    Form("plan for a conference beyond int8", "lead", f"/conferences/{HUGE}/plan", status=404),
    # ---------------------------------------- the plan page
    Form("outcome for a child in superscript digits", "lead", "/plans/{plan}/outcomes",
         lambda w: {"child_ids": ["²"], "statement": "Rosie is in class every day."},
         says="Name the children"),
    Form("outcome for a child beyond int4", "lead", "/plans/{plan}/outcomes",
         lambda w: {"child_ids": [str(BIG)], "statement": "Rosie is in class every day."},
         says="Name the children"),
    Form("outcome statement with NUL", "lead", "/plans/{plan}/outcomes",
         lambda w: {"child_ids": [str(ids(w)["child"])], "statement": NUL}, says="statement"),
    Form("action due in year 9999", "lead", "/plans/{plan}/actions",
         lambda w: action_form(w, **when(year="9999", month="12", day="31", prefix="action-due")),
         says="must be between"),
    Form("action due in year 0001", "lead", "/plans/{plan}/actions",
         lambda w: action_form(w, **when(year="0001", month="1", day="1", prefix="action-due")),
         says="must be between"),
    Form("action outcome in superscript digits", "lead", "/plans/{plan}/actions",
         lambda w: action_form(w, outcome_id="²"), says="Choose the outcome"),
    Form("action owner beyond int8", "lead", "/plans/{plan}/actions",
         lambda w: action_form(w, owner=f"user:{HUGE}"), says="Choose who will do this"),
    Form("action owner in superscript digits", "lead", "/plans/{plan}/actions",
         lambda w: action_form(w, owner="member:²"), says="Choose who will do this"),
    Form("action description with NUL", "lead", "/plans/{plan}/actions",
         lambda w: action_form(w, description=NUL), says="description"),
    Form("action on a plan beyond int4", "lead", f"/plans/{BIG}/actions", lambda w: action_form(w),
         status=404),
    Form("edited action due in year 9999", "lead", "/actions/{action}/edit",
         lambda w: action_form(w, **when(year="9999", month="12", day="31", prefix="action-due")),
         says="must be between"),
    Form("edited action owner beyond int4", "lead", "/actions/{action}/edit",
         lambda w: action_form(w, owner=f"member:{BIG}"), says="Choose who will do this"),
    Form("edited action beyond int8", "lead", f"/actions/{HUGE}/edit", lambda w: action_form(w),
         status=404),
    Form("hint for a plan beyond int4", "lead", f"/hints/action?plan_id={BIG}",
         lambda w: action_form(w), says="plan_id"),
    Form("language hint for a field with NUL", "lead", "/hints/language?field=a%00b",
         lambda w: {"note": "x"}, says="field"),
    # ---------------------------------------- plan links
    Form("send a link to a member beyond int4", "lead", f"/families/{{family}}/members/{BIG}/link",
         status=404),
    Form("stop a link in a family beyond int8", "lead", f"/families/{HUGE}/members/{{member}}/stop-link",
         status=404),
    # ---------------------------------------- the family's own page
    Form("family link token with NUL", "anonymous", "/f/abc%00def", status=404),
    Form("family note with NUL", "family", "/family/actions/{member_action}",
         lambda w: {"choice": "help", "note": NUL}, says="Something was not right"),
    Form("family message with an escape character", "family", "/family/messages",
         lambda w: {"message": "\x1b[2J"}, says="Something was not right"),
    Form("family step beyond int4", "family", f"/family/actions/{BIG}",
         lambda w: {"choice": "done"}, status=404),
]


@pytest.fixture(scope="module")
async def world(migrated: None) -> World:
    return await signable_world(START)


@pytest.fixture(scope="module")
async def admin(migrated: None) -> Any:
    user = await make_user(START, "admin", name="Alex Admin")
    await give_password(user.id)
    return user


async def _client_for(who: str, world: World, admin: Any, client: httpx.AsyncClient) -> str:
    """Sign the client in as `who`; returns the CSRF token to post with."""
    if who in ("lead", "admin"):
        user = world.lead if who == "lead" else admin
        await sign_in(client, user.email, PASSWORD)
        return client.cookies[CSRF_COOKIE]
    if who == "family":
        jess = world.family["members"][0]["id"]
        answer = await continue_from(client, await texted_link(jess, START))
        assert answer.status_code == 303
        return csrf_from((await client.get("/family")).text)
    await client.get("/signin")
    return client.cookies[CSRF_COOKIE]


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
async def test_a_bad_form_value_is_refused_with_a_message_and_nothing_is_written(
        form: Form, world: World, admin: Any, client: httpx.AsyncClient, clock) -> None:
    token = await _client_for(form.who, world, admin, client)
    path = form.path.format(**ids(world), member_action=world.member_action_id)
    if form.raw is not None:
        content = form.raw + b"&" + urlencode({"_csrf_token": token}).encode()
    else:
        fields = form.fields(world) if form.fields else {}
        content = urlencode({**fields, "_csrf_token": token}, doseq=True).encode()
    before = await snapshot(world, clock.now())

    answer = await client.post(path, content=content,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert answer.status_code == form.status, answer.text[:2000]
    if form.says is not None:
        assert form.says in answer.text, answer.text[:3000]
    assert changed(before, await snapshot(world, clock.now())) == []


def test_the_table_reaches_every_kind_of_form() -> None:
    assert {f.who for f in FORMS} == {"lead", "admin", "anonymous", "family"}
    assert len(FORMS) >= 50
