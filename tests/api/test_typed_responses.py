"""Typed answers: every /api/v1 operation's OpenAPI entry describes its body and its refusals,
and what the API actually sends decodes into its response struct and re-encodes unchanged."""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import timedelta
from typing import Any

import msgspec
import pytest

from tests.support.factories import WINDOWS, at, make_world
from tracker.api_responses import ErrorOut, FieldErrorsOut, to_out
from tracker.family.api_types import PlanMessageOut, RevokedLinksOut
from tracker.notify.api_types import MessageOut
from tracker.plans.api_types import (
    ActionOut,
    AuditEventOut,
    ConferenceOut,
    ConferenceSummaryOut,
    FamilyOut,
    FamilySummaryOut,
    LanguageCheckOut,
    MeOut,
    OutcomeOut,
    PlanOut,
    ProgressOut,
    ProgressUpdateOut,
)

METHODS = ("get", "put", "post", "patch", "delete")
WRITES = {"post", "put", "patch", "delete"}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec["components"]["schemas"][name]
    return schema


def _object_schema(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The object a body schema describes (for a list, the object of its items)."""
    schema = _resolve(spec, schema)
    if schema.get("type") == "array":
        schema = _resolve(spec, schema["items"])
    return schema


def _all_properties_typed(spec: dict[str, Any], schema: dict[str, Any], seen: set[str]) -> list[str]:
    """Names of properties (at any depth) with no type at all: an `{}` says nothing to a client."""
    untyped = []
    schema = _resolve(spec, schema)
    for name, prop in schema.get("properties", {}).items():
        if "$ref" in prop:
            ref = prop["$ref"]
            if ref not in seen:
                seen.add(ref)
                untyped += _all_properties_typed(spec, prop, seen)
            continue
        if not any(key in prop for key in ("type", "oneOf", "anyOf", "enum", "const")):
            untyped.append(name)
        items = prop.get("items")
        if isinstance(items, dict) and "$ref" in items and items["$ref"] not in seen:
            seen.add(items["$ref"])
            untyped += _all_properties_typed(spec, items, seen)
    return untyped


async def test_every_api_operation_documents_its_body_and_its_refusals(app, client):
    spec = (await client.get("/schema/openapi.json")).json()
    routed = {
        (method.lower(), route.path_format)
        for route in app.routes if route.path.startswith("/api/v1/")
        for method in getattr(route, "methods", ()) if method not in {"HEAD", "OPTIONS"}
    }
    documented = {
        (method, path) for path, item in spec["paths"].items() if path.startswith("/api/v1/")
        for method in item if method in METHODS
    }
    assert routed == documented, "an /api/v1 route is missing from the OpenAPI document"
    assert len(documented) >= 23

    problems: list[str] = []
    for method, path in sorted(documented):
        op = spec["paths"][path][method]
        where = f"{method.upper()} {path}"
        success = [code for code in op["responses"] if code.startswith("2")]
        if len(success) != 1:
            problems.append(f"{where}: {success} success answers")
            continue
        body = op["responses"][success[0]].get("content", {}).get("application/json", {})
        target = _object_schema(spec, body.get("schema", {}))
        if target.get("type") != "object" or not target.get("properties"):
            problems.append(f"{where}: the {success[0]} body has no properties")
        elif target.get("additionalProperties") is not False:
            problems.append(f"{where}: the {success[0]} body may carry undocumented keys")
        if untyped := _all_properties_typed(spec, body.get("schema", {}), set()):
            problems.append(f"{where}: untyped properties {untyped}")

        params = op.get("parameters", [])
        has_path_ids = any(p["in"] == "path" for p in params)
        expected = {"401"}
        if params or "requestBody" in op:
            expected.add("400")
        if has_path_ids:
            expected.add("404")
        if method in WRITES and has_path_ids:
            expected.add("403")
        if "requestBody" in op:
            expected |= {"413", "415"}
        if (method, path) in {("post", "/api/v1/conferences"), ("post", "/api/v1/plans")}:
            expected |= {"403", "404"}  # made under a family or conference the caller may not see
        if missing := expected - set(op["responses"]):
            problems.append(f"{where}: refusals {sorted(missing)} are not documented")
        for code in sorted(set(op["responses"]) - set(success)):
            schema = _resolve(spec, op["responses"][code]["content"]["application/json"]["schema"])
            wanted = {"detail", "errors"} if code == "400" else {"detail"}
            if set(schema.get("required", [])) != wanted:
                problems.append(f"{where}: the {code} body is not {sorted(wanted)}")
    assert not problems, "\n".join(problems)

    # Request bodies refuse unknown fields (a 400), and the document says so.
    for name in ("FamilyIn", "FamilyPatch", "MemberIn", "ConferenceIn", "ActionPatch", "ProgressIn"):
        assert spec["components"]["schemas"][name]["additionalProperties"] is False, name
    # Every object in the document says what it is (from its struct's docstring).
    assert not [name for name, component in spec["components"]["schemas"].items()
                if not component.get("description")]
    # /health needs no token, and says so (an empty security list overrides the default).
    assert spec["paths"]["/health"]["get"]["security"] == []
    assert spec["security"] == [{"bearer": []}]


def test_a_view_that_grows_a_key_its_struct_does_not_know_is_refused():
    """`to_out` would rather fail a test than silently drop a field from an answer."""
    view = {"id": 1, "name": "Sam", "email": "sam@example.org", "roles": ["professional"]}
    assert to_out(view, MeOut) == MeOut(id=1, name="Sam", email="sam@example.org",
                                        roles=["professional"])
    with pytest.raises(msgspec.ValidationError, match="unknown field `phone`"):
        to_out({**view, "phone": "07700 900123"}, MeOut)


def _round_trip(response: Any, type_: Any, status: int = 200) -> Any:
    """The answer decodes into its struct exactly, and encodes back to the same JSON."""
    assert response.status_code == status, response.text
    decoded = msgspec.json.decode(response.content, type=type_)
    assert json.loads(msgspec.json.encode(decoded)) == response.json()
    return decoded


async def test_every_api_answer_decodes_into_its_struct_and_back(client, clock):
    from tracker.bootstrap import build_dispatcher
    from tracker.notify.outbox import enqueue
    from tracker.notify.providers import providers_for
    from tracker.settings import get_settings

    world = await make_world(clock.now())
    lead, chair = world.lead.headers, world.chair.headers
    family_id, plan_id = world.family["id"], world.plan_id
    jess, ryan = (m["id"] for m in world.family["members"])

    _round_trip(await client.get("/api/v1/me", headers=lead), MeOut)
    families = _round_trip(await client.get("/api/v1/families", headers=lead), list[FamilySummaryOut])
    assert family_id in {f.id for f in families}
    created = _round_trip(await client.post("/api/v1/families", headers=lead, json={
        "name": "Family Typed", "members": [{"name": "Kim", "relationship": "Aunt",
                                             "email": "kim@example.org", "preferred_channel": "email"}],
        "children": [{"name": "Baby", "expected_on": str(clock.now().date() + timedelta(days=60))}],
    }), FamilyOut, 201)
    assert created.children[0].date_of_birth is None and created.current_plan_id is None
    _round_trip(await client.patch(f"/api/v1/families/{created.id}", headers=lead,
                                   json={"name": "Family Typed Two"}), FamilyOut)
    family = _round_trip(await client.get(f"/api/v1/families/{family_id}", headers=lead), FamilyOut)
    assert family.current_plan_id == plan_id and family.conferences

    conferences = _round_trip(await client.get("/api/v1/conferences", headers=lead,
                                               params={"family_id": family_id}),
                              list[ConferenceSummaryOut])
    assert [c.id for c in conferences] == [world.conference_id]
    conference = _round_trip(await client.get(f"/api/v1/conferences/{world.conference_id}",
                                              headers=lead), ConferenceOut)
    assert conference.statutory.first_core_group_by is not None and conference.plan_id == plan_id
    review = _round_trip(await client.post("/api/v1/conferences", headers=lead, json={
        "family_id": family_id, "kind": "review_cp", "chair_id": world.chair.id,
        "starts_at": at(clock.now().date() + timedelta(days=50)).isoformat(),
        "invitee_ids": [world.invitee.id]}), ConferenceOut, 201)
    assert review.statutory.first_core_group_by is None and review.decision is None
    # Before it starts, a review's date and invitees may change (its record waits for the day).
    _round_trip(await client.patch(f"/api/v1/conferences/{review.id}", headers=chair,
                                   json={"invitee_ids": [world.invitee.id, world.lead.id]}), ConferenceOut)

    plan = _round_trip(await client.get(f"/api/v1/plans/{plan_id}", headers=lead), PlanOut)
    assert plan.outcomes[0].actions and plan.previous_plan_id is None
    outcome = _round_trip(await client.post(f"/api/v1/plans/{plan_id}/outcomes", headers=lead, json={
        "child_ids": plan.outcomes[0].child_ids, "statement": "Rosie sleeps through the night.",
        "measure": "Five nights in seven, by Mum's diary."}), OutcomeOut, 201)
    action = _round_trip(await client.post(f"/api/v1/plans/{plan_id}/actions", headers=lead, json={
        "outcome_id": outcome.id, "description": "Agree a bedtime routine with Jess at the next visit.",
        "owner_user_id": world.lead.id}), ActionOut, 201)
    assert action.due_on is None and not action.smart.is_smart and action.smart.gaps
    _round_trip(await client.patch(f"/api/v1/actions/{action.id}", headers=lead,
                                   json={"due_on": str(clock.now().date() + timedelta(days=20))}),
                ActionOut)
    _round_trip(await client.get(f"/api/v1/actions/{world.action_id}", headers=lead), ActionOut)
    update = _round_trip(await client.post(f"/api/v1/actions/{world.action_id}/updates",
                                           headers=world.invitee.headers,
                                           json={"status": "in_progress", "note": "First call made."}),
                         ProgressUpdateOut, 201)
    assert update.author.kind == "user" and update.from_status == "not_started"
    updates = _round_trip(await client.get(f"/api/v1/actions/{world.action_id}/updates", headers=lead),
                          list[ProgressUpdateOut])
    assert updates[-1].id == update.id
    progress = _round_trip(await client.get(f"/api/v1/plans/{plan_id}/progress", headers=lead),
                           ProgressOut)
    assert progress.by_status.in_progress == 1
    events = _round_trip(await client.get(f"/api/v1/plans/{plan_id}/audit", headers=lead),
                         list[AuditEventOut])
    assert {e.record_type for e in events} >= {"family", "plan", "action"}
    findings = _round_trip(await client.post("/api/v1/language/check", headers=lead, json={
        "text": "Mum failed to engage with services."}), LanguageCheckOut)
    assert findings.findings and findings.reading_age is msgspec.UNSET
    assert b"reading_age" not in (await client.post("/api/v1/language/check", headers=lead, json={
        "text": "Mum failed to engage with services."})).content
    for_family = _round_trip(await client.post("/api/v1/language/check", headers=lead, json={
        "text": "The LADO and the CAMHS practitioner will undertake a multi-agency assessment "
                "of the family's presenting needs.", "audience": "family"}), LanguageCheckOut)
    assert {f.kind for f in for_family.findings} >= {"jargon"}
    assert for_family.reading_age is not msgspec.UNSET
    routine = _round_trip(await client.post(f"/api/v1/plans/{plan_id}/actions", headers=lead, json={
        "outcome_id": outcome.id, "owner_user_id": world.lead.id,
        "description": "Phone Jess every Monday at 9:15 to plan the school week.",
        "success_measure": "Six Monday calls logged.",
        "due_on": str(clock.now().date() + timedelta(days=30))}), ActionOut, 201)
    assert routine.smart.routine and routine.smart.frequency

    reply = _round_trip(await client.post(f"/api/v1/plans/{plan_id}/messages", headers=lead,
                                          json={"member_id": jess, "body": "Thank you, Jess."}),
                        PlanMessageOut, 201)
    assert reply.author.kind == "user" and reply.visibility == "lead"
    said = _round_trip(await client.get(f"/api/v1/plans/{plan_id}/messages", headers=lead),
                       list[PlanMessageOut])
    assert [m.id for m in said] == [reply.id]

    # Messages: one sent and one held back (not safe to contact), so both shapes are seen.
    for member, name in ((jess, "Jess"), (ryan, "Ryan")):
        await enqueue(channel="sms", template="member_action_due", due_at=clock.now(), windows=WINDOWS,
                      key=f"test:typed:{member}", recipient_member_id=member,
                      context={"name": name, "due_on": "2026-11-24", "needs_link": True})
    # A batch big enough for the rows other tests left due in the shared database: a tick
    # claims the oldest due rows first, whoever queued them.
    settings = dataclasses.replace(get_settings(), send_rate_per_second=0, dispatch_batch_size=5000)
    await build_dispatcher(settings, clock, providers_for(settings),
                           rng=random.Random(1)).tick(materialise=False)
    messages = _round_trip(await client.get("/api/v1/messages", headers=lead,
                                            params={"family_id": family_id}), list[MessageOut])
    assert {m.status for m in messages} >= {"sent", "suppressed"}

    revoked = _round_trip(await client.post(f"/api/v1/members/{jess}/revoke-link", headers=lead),
                          RevokedLinksOut)
    assert revoked.member_id == jess
    ended = _round_trip(await client.post(f"/api/v1/plans/{plan_id}/end", headers=lead), PlanOut)
    assert ended.status == "ended"


async def test_refusals_decode_into_the_documented_error_bodies(client, clock):
    world = await make_world(clock.now())
    bad = await client.patch(f"/api/v1/actions/{world.action_id}", headers=world.lead.headers,
                             json={"due_on": "not a date"})
    assert _round_trip(bad, FieldErrorsOut, 400).errors
    unknown = await client.post("/api/v1/language/check", headers=world.lead.headers,
                                json={"text": "x", "colour": "blue"})
    assert _round_trip(unknown, FieldErrorsOut, 400).errors
    not_json = await client.post("/api/v1/language/check", content=b"{not json",
                                 headers={**world.lead.headers, "content-type": "application/json"})
    assert list(_round_trip(not_json, FieldErrorsOut, 400).errors) == ["body"]
    _round_trip(await client.get("/api/v1/me"), ErrorOut, 401)
    _round_trip(await client.post("/api/v1/language/check", content=b'{"text": "x"}',
                                  headers={**world.lead.headers, "content-type": "text/plain"}),
                ErrorOut, 415)
    _round_trip(await client.get(f"/api/v1/plans/{world.plan_id}", headers=world.outsider.headers),
                ErrorOut, 404)
    _round_trip(await client.patch(f"/api/v1/actions/{world.action_id}", headers=world.invitee.headers,
                                   json={"description": "Something else entirely, every Monday."}),
                ErrorOut, 403)


async def test_options_names_every_method_of_the_path(client, clock):
    user = (await make_world(clock.now())).lead
    for path, methods in (("/api/v1/families", "GET, OPTIONS, POST"),
                          ("/api/v1/families/1", "GET, OPTIONS, PATCH"),
                          ("/api/v1/actions/1/updates", "GET, OPTIONS, POST"),
                          ("/api/v1/plans", "OPTIONS, POST")):
        response = await client.options(path, headers=user.headers)
        assert (response.status_code, response.headers.get("allow")) == (204, methods), (path, response.headers)
    refused = await client.delete("/api/v1/families/1", headers=user.headers)
    assert refused.status_code == 405


async def test_without_a_token_the_answer_is_401_whatever_was_sent(client, clock):
    """No token: 401 before any word about the query, path or body (and the token is looked up
    once for those that have one)."""
    world = await make_world(clock.now())
    for method, url, kwargs in (
        ("GET", "/api/v1/conferences?family_id=0", {}),
        ("GET", "/api/v1/messages?member_id=99999999999", {}),
        ("GET", "/api/v1/plans/99999999999", {}),
        ("POST", "/api/v1/language/check", {"content": b"{not json",
                                             "headers": {"content-type": "text/plain"}}),
        ("PATCH", f"/api/v1/actions/{world.action_id}", {"json": {"due_on": "9999-12-31"}}),
    ):
        response = await client.request(method, url, **kwargs)
        _round_trip(response, ErrorOut, 401)
        bad_token = await client.request(method, url, **{
            **kwargs, "headers": {**kwargs.get("headers", {}), "Authorization": "Bearer nope"}})
        _round_trip(bad_token, ErrorOut, 401)
    misspelt = await client.get(f"/api/v1/conferences?famly_id={world.family['id']}",
                                headers=world.lead.headers)
    assert list(_round_trip(misspelt, FieldErrorsOut, 400).errors) == ["famly_id"]
    with_token = await client.get("/api/v1/conferences?family_id=0", headers=world.lead.headers)
    assert list(_round_trip(with_token, FieldErrorsOut, 400).errors) == ["family_id"]
