"""Bad input to every write route of the JSON API: a clear 4xx naming the field, and nothing written.

Each row is one wrong value in an otherwise valid request. After each, every table's row count,
the audit trail, and the family, conference, plan and action as read are exactly as before
(issue 11 parts 1 and 2). Runs on SQLite and, with TEST_DB=postgres, on PostgreSQL, where most
of these used to answer 500 (NUL characters, ids beyond int4, values longer than their column).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import START
from tests.support.bad_input import changed, snapshot
from tests.support.factories import World, make_world
from tracker.clock import local_date

BIG = 2**31  # one past PostgreSQL's integer
HUGE = 2**63  # one past SQLite's
TODAY = local_date(START)
NUL = "a\x00b"


@dataclass(frozen=True)
class Case:
    """One bad request: how to make it from the world, and what must come back."""

    name: str
    method: str
    path: str  # with {family}, {conference}, {plan}, {outcome}, {action}, {member}, {child}, ...
    body: Callable[[World], Any] | None = None  # JSON to send (merged over a valid body)
    status: int = 400
    field: str | None = None  # the error must name this field
    raw: bytes | None = None  # send these bytes instead of JSON
    content_type: str = "application/json"


def ids(w: World) -> dict[str, Any]:
    return {"family": w.family["id"], "conference": w.conference_id, "plan": w.plan_id,
            "outcome": w.outcome_id, "action": w.action_id, "member": w.family["members"][0]["id"],
            "child": w.family["children"][0]["id"], "chair": w.chair.id, "invitee": w.invitee.id}


def family_body(w: World, **over: Any) -> dict[str, Any]:
    body = {"name": "Family Bad Input", "lead_professional_id": w.lead.id,
            "members": [{"name": "Ann", "relationship": "Mum", "preferred_channel": "none"}],
            "children": [{"name": "Kit", "date_of_birth": "2019-01-01"}]}
    return {**body, **over}


def member(**over: Any) -> dict[str, Any]:
    return {"name": "Ann", "relationship": "Mum", "preferred_channel": "none", **over}


def child(**over: Any) -> dict[str, Any]:
    return {"name": "Kit", "date_of_birth": "2019-01-01", **over}


def conference_body(w: World, **over: Any) -> dict[str, Any]:
    body = {"family_id": w.family["id"], "kind": "review_cp", "starts_at": "2026-12-21T10:00:00Z",
            "chair_id": w.chair.id, "invitee_ids": [w.invitee.id]}
    return {**body, **over}


def outcome_body(w: World, **over: Any) -> dict[str, Any]:
    body = {"child_ids": [w.family["children"][0]["id"]], "statement": "Kit is in class every day.",
            "measure": "95% attendance."}
    return {**body, **over}


def action_body(w: World, **over: Any) -> dict[str, Any]:
    body = {"outcome_id": w.outcome_id, "owner_user_id": w.invitee.id,
            "description": "Phone Jess every Monday at 9:15 to plan the week.",
            "due_on": str(TODAY + timedelta(days=20)), "success_measure": "Six calls logged."}
    return {**body, **over}


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


def deep_raw(depth: int) -> bytes:
    return b'{"text": ' + b"[" * depth + b"1" + b"]" * depth + b"}"


F, C, P, A = "/api/v1/families", "/api/v1/conferences", "/api/v1/plans", "/api/v1/actions"

CASES: list[Case] = [
    # ------------------------------------------------ POST /api/v1/families
    Case("family name with NUL", "POST", F, lambda w: family_body(w, name=NUL), field="name"),
    Case("family name on two lines", "POST", F, lambda w: family_body(w, name="A\nB"), field="name"),
    Case("family name with a bell", "POST", F, lambda w: family_body(w, name="A\x07"), field="name"),
    Case("family name with a lone surrogate", "POST", F, lambda w: family_body(w, name="A\ud800"),
         field="name"),
    Case("family name longer than its column", "POST", F, lambda w: family_body(w, name="x" * 201),
         field="name"),
    Case("lead id beyond int4", "POST", F, lambda w: family_body(w, lead_professional_id=BIG),
         field="lead_professional_id"),
    Case("lead id beyond int8", "POST", F, lambda w: family_body(w, lead_professional_id=HUGE),
         field="lead_professional_id"),
    Case("lead id zero", "POST", F, lambda w: family_body(w, lead_professional_id=0),
         field="lead_professional_id"),
    Case("lead id as a string", "POST", F, lambda w: family_body(w, lead_professional_id=str(w.lead.id)),
         field="lead_professional_id"),
    Case("lead id as a float", "POST", F, lambda w: family_body(w, lead_professional_id=1.5),
         field="lead_professional_id"),
    Case("lead id as a boolean", "POST", F, lambda w: family_body(w, lead_professional_id=True),
         field="lead_professional_id"),
    Case("member language longer than its column", "POST", F,
         lambda w: family_body(w, members=[member(language="x" * 11)]), field="members[0].language"),
    Case("member relationship longer than its column", "POST", F,
         lambda w: family_body(w, members=[member(relationship="x" * 101)]),
         field="members[0].relationship"),
    Case("member name with NUL", "POST", F, lambda w: family_body(w, members=[member(name=NUL)]),
         field="members[0].name"),
    Case("member mobile with NUL", "POST", F,
         lambda w: family_body(w, members=[member(mobile="07700\x00900123")]), field="members[0].mobile"),
    Case("member email with NUL", "POST", F,
         lambda w: family_body(w, members=[member(email="a\x00@example.org")]), field="members[0].email"),
    Case("member consent as the string false", "POST", F,
         lambda w: family_body(w, members=[member(sms_consent="false")]),
         field="members[0].sms_consent"),
    Case("member safe_to_contact as 0", "POST", F,
         lambda w: family_body(w, members=[member(safe_to_contact=0)]),
         field="members[0].safe_to_contact"),
    Case("member id beyond int4", "POST", F, lambda w: family_body(w, members=[member(id=BIG)]),
         field="members[0].id"),
    Case("too many members", "POST", F, lambda w: family_body(w, members=[member()] * 51),
         field="members"),
    Case("child born before 1900", "POST", F,
         lambda w: family_body(w, children=[child(date_of_birth="1899-12-31")]),
         field="children[0].date_of_birth"),
    Case("child born tomorrow", "POST", F,
         lambda w: family_body(w, children=[child(date_of_birth=str(TODAY + timedelta(days=1)))]),
         field="children[0].date_of_birth"),
    Case("child born in year 1", "POST", F,
         lambda w: family_body(w, children=[child(date_of_birth="0001-01-01")]),
         field="children[0].date_of_birth"),
    Case("child born in year 9999", "POST", F,
         lambda w: family_body(w, children=[child(date_of_birth="9999-12-31")]),
         field="children[0].date_of_birth"),
    Case("baby expected in 11 months", "POST", F,
         lambda w: family_body(w, children=[{"name": "Baby", "expected_on": str(TODAY + timedelta(days=335))}]),
         field="children[0].expected_on"),
    Case("baby expected in year 9999", "POST", F,
         lambda w: family_body(w, children=[{"name": "Baby", "expected_on": "9999-12-31"}]),
         field="children[0].expected_on"),
    Case("child name longer than its column", "POST", F,
         lambda w: family_body(w, children=[child(name="x" * 101)]), field="children[0].name"),
    Case("child name on two lines", "POST", F,
         lambda w: family_body(w, children=[child(name="Kit\nKat")]), field="children[0].name"),
    Case("an unknown field", "POST", F, lambda w: family_body(w, surname="Smith")),
    Case("nested 40 deep", "POST", F, lambda w: family_body(w, name=nested(40)), field="body"),
    Case("nested 100,000 deep", "POST", F, raw=deep_raw(100_000), field="body"),
    Case("a duplicate key", "POST", F, raw=b'{"name": "A", "name": "B"}', field="name"),
    Case("invalid UTF-8", "POST", F, raw=b'{"name": "\xff\xfe"}', field="body"),
    Case("not JSON at all", "POST", F, raw=b"name=Smith", field="body"),
    Case("JSON sent as text/plain", "POST", F, lambda w: family_body(w), status=415,
         content_type="text/plain"),
    Case("JSON sent as a form", "POST", F, lambda w: family_body(w), status=415,
         content_type="application/x-www-form-urlencoded"),
    Case("JSON with no content type", "POST", F, lambda w: family_body(w), status=415, content_type=""),
    # ------------------------------------------------ PATCH /api/v1/families/{id}
    Case("patch family name with NUL", "PATCH", F + "/{family}", lambda w: {"name": NUL}, field="name"),
    Case("patch lead beyond int4", "PATCH", F + "/{family}", lambda w: {"lead_professional_id": BIG},
         field="lead_professional_id"),
    Case("patch an unknown status", "PATCH", F + "/{family}", lambda w: {"status": "archived"},
         field="status"),
    Case("patch member language longer than its column", "PATCH", F + "/{family}",
         lambda w: {"members": [{"id": ids(w)["member"], "language": "english-gbr"}]},
         field="members[0].language"),
    Case("patch member id beyond int8", "PATCH", F + "/{family}",
         lambda w: {"members": [{"id": HUGE, "name": "Ann"}]}, field="members[0].id"),
    Case("patch child born in year 9999", "PATCH", F + "/{family}",
         lambda w: {"children": [{"id": ids(w)["child"], "date_of_birth": "9999-12-31"}]},
         field="children[0].date_of_birth"),
    Case("patch a family beyond int4", "PATCH", F + f"/{BIG}", lambda w: {"name": "X"}, status=404),
    Case("patch a family beyond int8", "PATCH", F + f"/{HUGE}", lambda w: {"name": "X"}, status=404),
    Case("patch a family with a superscript id", "PATCH", F + "/²", lambda w: {"name": "X"}, status=404),
    # ------------------------------------------------ POST /api/v1/conferences
    Case("conference for a family beyond int4", "POST", C, lambda w: conference_body(w, family_id=BIG),
         field="family_id"),
    Case("conference in year 1", "POST", C,
         lambda w: conference_body(w, starts_at="0001-01-01T00:00:00Z"), field="starts_at"),
    Case("conference in year 1 with an offset", "POST", C,
         lambda w: conference_body(w, starts_at="0001-01-01T00:00:00+01:00"), field="starts_at"),
    Case("conference at the end of time", "POST", C,
         lambda w: conference_body(w, starts_at="9999-12-31T23:59:59Z"), field="starts_at"),
    Case("conference at the end of time, west of UTC", "POST", C,
         lambda w: conference_body(w, starts_at="9999-12-31T23:59:59-23:59"), field="starts_at"),
    Case("conference with a 23-hour offset", "POST", C,
         lambda w: conference_body(w, starts_at="2026-12-21T10:00:00+23:00"), field="starts_at"),
    Case("conference ten years away", "POST", C,
         lambda w: conference_body(w, starts_at="2036-12-21T10:00:00Z"), field="starts_at"),
    Case("conference chair beyond int4", "POST", C, lambda w: conference_body(w, chair_id=BIG),
         field="chair_id"),
    Case("conference invitee beyond int8", "POST", C, lambda w: conference_body(w, invitee_ids=[HUGE]),
         field="invitee_ids[0]"),
    Case("conference invitee as a string", "POST", C,
         lambda w: conference_body(w, invitee_ids=[str(w.invitee.id)]), field="invitee_ids[0]"),
    Case("conference step with NUL", "POST", C, lambda w: conference_body(w, worries=NUL),
         field="worries"),
    Case("conference step with an escape character", "POST", C,
         lambda w: conference_body(w, impact="\x1b[31mred"), field="impact"),
    Case("conference review in year 9999", "POST", C,
         lambda w: conference_body(w, next_review_on="9999-12-31"), field="next_review_on"),
    Case("conference of an unknown kind", "POST", C, lambda w: conference_body(w, kind="party"),
         field="kind"),
    Case("conference category unknown", "POST", C,
         lambda w: conference_body(w, decision="cp_plan", categories=["other"]), field="categories[0]"),
    Case("conference held as a string", "POST", C, lambda w: conference_body(w, held="yes"),
         field="held"),
    Case("conference recorded before it starts", "POST", C,
         lambda w: conference_body(w, decision="cin_plan"), field="decision"),
    # ------------------------------------------------ PATCH /api/v1/conferences/{id}
    Case("patch conference to the end of time", "PATCH", C + "/{conference}",
         lambda w: {"starts_at": "9999-12-31T23:59:59Z"}, field="starts_at"),
    Case("patch conference to year 1", "PATCH", C + "/{conference}",
         lambda w: {"starts_at": "0001-01-01T00:00:00Z"}, field="starts_at"),
    Case("patch conference chair beyond int8", "PATCH", C + "/{conference}", lambda w: {"chair_id": HUGE},
         field="chair_id"),
    Case("patch conference step with NUL", "PATCH", C + "/{conference}",
         lambda w: {"family_reflections": NUL}, field="family_reflections"),
    Case("patch conference review in year 1", "PATCH", C + "/{conference}",
         lambda w: {"next_review_on": "0001-01-01"}, field="next_review_on"),
    Case("patch a conference beyond int4", "PATCH", C + f"/{BIG}", lambda w: {"worries": "x"},
         status=404),
    # ------------------------------------------------ POST /api/v1/plans and its children
    Case("plan for a conference beyond int4", "POST", P,
         lambda w: {"conference_id": BIG, "kind": "child_protection"}, field="conference_id"),
    Case("plan of an unknown kind", "POST", P,
         lambda w: {"conference_id": w.conference_id, "kind": "other"}, field="kind"),
    Case("plan due date that is not a date", "POST", P,
         lambda w: {"conference_id": w.conference_id, "kind": "child_protection",
                    "due_dates": {str(w.action_id): "soon"}}, field="due_dates[...]"),
    Case("plan due dates keyed by id zero", "POST", P,
         lambda w: {"conference_id": w.conference_id, "kind": "child_protection",
                    "due_dates": {"0": "2027-01-04"}}, field="due_dates"),
    Case("plan due dates keyed by a word", "POST", P,
         lambda w: {"conference_id": w.conference_id, "kind": "child_protection",
                    "due_dates": {"first": "2027-01-04"}}, field="due_dates"),
    Case("plan with too many due dates", "POST", P,
         lambda w: {"conference_id": w.conference_id, "kind": "child_protection",
                    "due_dates": {str(i): "2027-01-04" for i in range(1, 502)}}, field="due_dates"),
    Case("end a plan beyond int4", "POST", P + f"/{BIG}/end", status=404),
    Case("outcome for a child beyond int4", "POST", P + "/{plan}/outcomes",
         lambda w: outcome_body(w, child_ids=[BIG]), field="child_ids[0]"),
    Case("outcome statement with NUL", "POST", P + "/{plan}/outcomes",
         lambda w: outcome_body(w, statement=NUL), field="statement"),
    Case("outcome measure with NUL", "POST", P + "/{plan}/outcomes",
         lambda w: outcome_body(w, measure=NUL), field="measure"),
    Case("outcome on a plan beyond int8", "POST", P + f"/{HUGE}/outcomes", lambda w: outcome_body(w),
         status=404),
    Case("action due in year 9999", "POST", P + "/{plan}/actions",
         lambda w: action_body(w, due_on="9999-12-31"), field="due_on"),
    Case("action due in year 1", "POST", P + "/{plan}/actions",
         lambda w: action_body(w, due_on="0001-01-01"), field="due_on"),
    Case("action due in 6 years", "POST", P + "/{plan}/actions",
         lambda w: action_body(w, due_on=str(TODAY + timedelta(days=6 * 366))), field="due_on"),
    Case("action outcome beyond int4", "POST", P + "/{plan}/actions",
         lambda w: action_body(w, outcome_id=BIG), field="outcome_id"),
    Case("action owner beyond int8", "POST", P + "/{plan}/actions",
         lambda w: action_body(w, owner_user_id=HUGE), field="owner_user_id"),
    Case("action member owner negative", "POST", P + "/{plan}/actions",
         lambda w: action_body(w, owner_user_id=None, owner_member_id=-1), field="owner_member_id"),
    Case("action supporter beyond int4", "POST", P + "/{plan}/actions",
         lambda w: action_body(w, support_by_user_id=BIG), field="support_by_user_id"),
    Case("action description with NUL", "POST", P + "/{plan}/actions",
         lambda w: action_body(w, description=NUL), field="description"),
    Case("action measure with an escape character", "POST", P + "/{plan}/actions",
         lambda w: action_body(w, success_measure="\x1b"), field="success_measure"),
    # ------------------------------------------------ PATCH /api/v1/actions/{id} and updates
    Case("patch action due in year 9999", "PATCH", A + "/{action}", lambda w: {"due_on": "9999-12-31"},
         field="due_on"),
    Case("patch action due in year 1", "PATCH", A + "/{action}", lambda w: {"due_on": "0001-01-01"},
         field="due_on"),
    Case("patch action outcome beyond int4", "PATCH", A + "/{action}", lambda w: {"outcome_id": BIG},
         field="outcome_id"),
    Case("patch action to an unknown status", "PATCH", A + "/{action}", lambda w: {"status": "finished"},
         field="status"),
    Case("patch action note with NUL", "PATCH", A + "/{action}",
         lambda w: {"status": "in_progress", "note": NUL}, field="note"),
    Case("patch action description with NUL", "PATCH", A + "/{action}", lambda w: {"description": NUL},
         field="description"),
    Case("patch action support with a bell", "PATCH", A + "/{action}",
         lambda w: {"support_offered": "\x07"}, field="support_offered"),
    Case("patch an action beyond int4", "PATCH", A + f"/{BIG}", lambda w: {"note": "x"}, status=404),
    Case("update with an unknown status", "POST", A + "/{action}/updates", lambda w: {"status": "won"},
         field="status"),
    Case("update note with NUL", "POST", A + "/{action}/updates", lambda w: {"note": NUL}, field="note"),
    Case("update note too long", "POST", A + "/{action}/updates", lambda w: {"note": "x" * 2001},
         field="note"),
    Case("update on an action beyond int8", "POST", A + f"/{HUGE}/updates", lambda w: {"note": "x"},
         status=404),
    # ------------------------------------------------ the rest
    Case("language check with NUL", "POST", "/api/v1/language/check", lambda w: {"text": NUL},
         field="text"),
    Case("revoke a member beyond int4", "POST", f"/api/v1/members/{BIG}/revoke-link", status=404),
    # ------------------------------------------------ replies to the family
    Case("reply with no member", "POST", P + "/{plan}/messages", lambda w: {"body": "Hello"},
         field="member_id"),
    Case("reply to member 0", "POST", P + "/{plan}/messages", lambda w: reply(member_id=0),
         field="member_id"),
    Case("reply to a member beyond int4", "POST", P + "/{plan}/messages",
         lambda w: reply(member_id=BIG), field="member_id"),
    Case("reply to a member as text", "POST", P + "/{plan}/messages",
         lambda w: reply(member_id=str(ids(w)["member"])), field="member_id"),
    Case("reply to a member of no family", "POST", P + "/{plan}/messages",
         lambda w: reply(member_id=2**31 - 1), field="member_id"),
    Case("reply to an adult not safe to contact", "POST", P + "/{plan}/messages",
         lambda w: reply(member_id=w.family["members"][1]["id"]), field="member_id"),
    Case("reply with no body", "POST", P + "/{plan}/messages",
         lambda w: {"member_id": ids(w)["member"]}, field="body"),
    Case("reply with an empty body", "POST", P + "/{plan}/messages",
         lambda w: reply(w, body="  "), field="body"),
    Case("reply with NUL", "POST", P + "/{plan}/messages", lambda w: reply(w, body=NUL),
         field="body"),
    Case("reply too long", "POST", P + "/{plan}/messages", lambda w: reply(w, body="x" * 1001),
         field="body"),
    Case("reply far too long", "POST", P + "/{plan}/messages", lambda w: reply(w, body="x" * 20001),
         field="body"),
    Case("reply with a number for a body", "POST", P + "/{plan}/messages",
         lambda w: reply(w, body=5), field="body"),
    Case("reply on a plan beyond int4", "POST", f"{P}/{BIG}/messages", lambda w: reply(w),
         status=404),
]


def reply(w: World | None = None, **over: Any) -> dict[str, Any]:
    """A valid reply to Jess, with `over` on top."""
    body: dict[str, Any] = {"member_id": ids(w)["member"] if w else 1, "body": "Thank you."}
    return {**body, **over}


@pytest.fixture(scope="module")
async def world(migrated: None) -> World:
    return await make_world(START)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_a_bad_value_is_refused_by_field_and_nothing_is_written(case: Case, world: World, client,
                                                                      clock) -> None:
    path = case.path.format(**ids(world))
    headers = {"Authorization": f"Bearer {world.lead.token}"}
    if case.content_type:
        headers["Content-Type"] = case.content_type
    if case.raw is not None:
        content = case.raw
    elif case.body is not None:
        content = json.dumps(case.body(world)).encode()
    else:
        content = b""
    before = await snapshot(world, clock.now())

    answer = await client.request(case.method, path, content=content, headers=headers)

    assert answer.status_code == case.status, answer.text[:500]
    if case.field is not None:
        errors = answer.json().get("errors", {})
        assert case.field in errors, errors
        assert errors[case.field], errors
    assert changed(before, await snapshot(world, clock.now())) == []


GETS = [
    ("a family beyond int4", f"{F}/{BIG}", 404),
    ("a family beyond int8", f"{F}/{HUGE}", 404),
    ("a family beyond any integer", F + "/" + "9" * 40, 404),
    ("a conference beyond int4", f"{C}/{BIG}", 404),
    ("a plan beyond int8", f"{P}/{HUGE}", 404),
    ("a plan's audit beyond int4", f"{P}/{BIG}/audit", 404),
    ("an action beyond int4", f"{A}/{BIG}", 404),
    ("an action's updates beyond int8", f"{A}/{HUGE}/updates", 404),
    ("a plan's messages beyond int4", f"{P}/{BIG}/messages", 404),
    ("conferences of a family beyond int4", f"{C}?family_id={BIG}", 400),
    ("conferences of a family named in superscript", f"{C}?family_id=%C2%B2", 400),
    ("messages of a family beyond int8", f"/api/v1/messages?family_id={HUGE}", 400),
    ("messages of a member beyond int4", f"/api/v1/messages?member_id={BIG}", 400),
    ("messages of a user beyond int4", f"/api/v1/messages?user_id={BIG}", 400),
    ("messages with NUL in the status", "/api/v1/messages?status=a%00b", 400),
    ("messages with a query that is not UTF-8", "/api/v1/messages?status=%FF%FE", 400),
]


@pytest.mark.parametrize(("name", "path", "status"), GETS, ids=[g[0] for g in GETS])
async def test_an_id_no_row_can_have_is_not_found_in_a_path_and_refused_in_a_query(
        name: str, path: str, status: int, world: World, client) -> None:
    answer = await client.get(path, headers={"Authorization": f"Bearer {world.lead.token}"})
    assert answer.status_code == status, answer.text[:300]


async def test_the_conference_patch_from_the_issue_writes_nothing_and_the_conference_still_opens(
        world: World, client, clock) -> None:
    headers = {"Authorization": f"Bearer {world.lead.token}"}
    before = await snapshot(world, clock.now())
    answer = await client.patch(f"{C}/{world.conference_id}", json={"starts_at": "9999-12-31T23:59:59Z"},
                                headers=headers)
    assert answer.status_code == 400
    assert "starts_at" in answer.json()["errors"]
    assert changed(before, await snapshot(world, clock.now())) == []
    assert (await client.get(f"{C}/{world.conference_id}", headers=headers)).status_code == 200


async def test_good_values_still_go_through_the_same_checks(world: World, client) -> None:
    # The edge and the windows must not refuse what people really send: RTL scripts, emoji,
    # a note over several lines, a conference held yesterday (entered afterwards) with its record.
    headers = {"Authorization": f"Bearer {world.lead.token}"}
    answer = await client.post(F, headers=headers, json=family_body(
        world, name="عائلة 👪 Nguyễn", members=[member(name="Zoë\u200fאנה", language="ar")],
        children=[child(name="Łucja", date_of_birth="1900-01-01")]))
    assert answer.status_code == 201, answer.text
    answer = await client.post(f"{A}/{world.action_id}/updates", headers=headers,
                               json={"note": "Called on Monday.\r\n\tSchool agreed\u00a0a plan."})
    assert answer.status_code == 201, answer.text
    answer = await client.post(C, headers=headers, json=conference_body(
        world, starts_at="2026-11-23T10:00:00+00:00", held=True, worries="Line one\nLine two"))
    assert answer.status_code == 201, answer.text


def test_every_case_names_a_route_the_app_has() -> None:
    assert len(CASES) >= 90
    assert all(case.status in (400, 404, 415) for case in CASES)
    fields: dict[str, list[str]] = {}
    for case in CASES:
        fields.setdefault(f"{case.method} {case.path}", []).append(case.name)
    assert len(fields) >= 15, sorted(fields)
