"""The plan page: pictures with text alternatives, outcomes and actions added, live SMART hints."""

from __future__ import annotations

from datetime import timedelta

from tests.support.staff_pages import as_user, post_as_form, post_htmx, signable_world
from tracker.plans.tables import Action, Outcome


def _due(d):
    return {"action-due-day": str(d.day), "action-due-month": str(d.month),
            "action-due-year": str(d.year)}


async def test_plan_page_shows_outcomes_actions_and_both_pictures(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.invitee)
    page = await client.get(f"/plans/{world.plan_id}")
    assert page.status_code == 200
    html = page.text
    assert "Rosie goes to school every day." in html
    assert html.count('role="img"') == 2 and "<desc" in html
    assert "Progress by outcome, in figures" in html
    assert "Action status over time, in figures" in html
    assert f'href="/plans/{world.plan_id}/review-summary"' in html
    # Helen may see but not change the plan.
    assert "Add an action" not in html


async def test_lead_sees_the_add_forms_and_the_owner_picker_leaves_out_unsafe_adults(client,
                                                                                     clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    html = (await client.get(f"/plans/{world.plan_id}")).text
    assert "Add an outcome" in html and "Add an action" in html
    jess, ryan = world.family["members"]
    assert f'value="member:{jess["id"]}"' in html
    assert f'value="member:{ryan["id"]}"' not in html  # not safe to contact
    assert f'value="user:{world.invitee.id}"' in html
    assert f'hx-post="/hints/action?plan_id={world.plan_id}"' in html


async def test_adding_an_outcome_and_a_smart_action(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.lead)
    rosie = world.family["children"][0]["id"]
    response = await post_as_form(client, f"/plans/{world.plan_id}/outcomes", {
        "child_ids": [str(rosie)], "statement": "Rosie sleeps in her own bed.",
        "measure": "Jess's sleep diary."})
    assert response.status_code == 303
    outcome = await Outcome.select().where(Outcome.statement == "Rosie sleeps in her own bed."
                                           ).first()
    assert response.headers["location"] == (
        f"/plans/{world.plan_id}?saved=outcome-{outcome['id']}#outcome-{outcome['id']}")
    response = await post_as_form(client, f"/plans/{world.plan_id}/actions", {
        "outcome_id": str(outcome["id"]), "owner": f"user:{world.invitee.id}",
        "description": "Helen lends Jess the school's bedtime routine pack on Monday.",
        "success_measure": "Jess has the pack and tells us which parts she tried.",
        "support_offered": "Helen explains the pack.", **_due(now.date() + timedelta(days=14))})
    assert response.status_code == 303, response.text[:500]
    action = await Action.select().where(Action.outcome == outcome["id"]).first()
    assert action["owner_user"] == world.invitee.id
    assert action["due_on"] == now.date() + timedelta(days=14)


async def test_bad_outcome_and_action_input_shows_errors_and_keeps_typing(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    response = await post_as_form(client, f"/plans/{world.plan_id}/outcomes",
                                  {"statement": "Rosie feels safe at home."})
    assert response.status_code == 400
    assert 'href="#outcome-child-ids"' in response.text
    assert "Rosie feels safe at home." in response.text
    response = await post_as_form(client, f"/plans/{world.plan_id}/actions", {
        "outcome_id": "", "owner": "", "description": "Engage with services",
        "action-due-day": "40", "action-due-month": "1", "action-due-year": "2027"})
    assert response.status_code == 400
    for anchor in ("#action-due", "#action-owner", "#action-outcome-id"):
        assert f'href="{anchor}"' in response.text
    assert "Engage with services" in response.text
    ryan = world.family["members"][1]["id"]
    response = await post_as_form(client, f"/plans/{world.plan_id}/actions", {
        "outcome_id": str(world.outcome_id), "owner": f"member:{ryan}",
        "description": "Ryan attends the parenting course on Thursdays.",
        **_due(clock.now().date() + timedelta(days=7))})
    assert response.status_code == 400 and "not safe to contact" in response.text
    assert await Action.count().where(Action.plan == world.plan_id) == 2


async def test_only_managers_can_add_to_the_plan(client, clock):
    world = await signable_world(clock.now())
    rosie = world.family["children"][0]["id"]
    data = {"child_ids": [str(rosie)], "statement": "Rosie is happy."}
    await as_user(client, world.invitee)
    assert (await post_as_form(client, f"/plans/{world.plan_id}/outcomes", data)
            ).status_code == 403
    assert (await post_as_form(client, f"/plans/{world.plan_id}/actions", {})).status_code == 403
    await as_user(client, world.outsider)
    assert (await client.get(f"/plans/{world.plan_id}")).status_code == 404
    assert (await post_as_form(client, f"/plans/{world.plan_id}/outcomes", data)
            ).status_code == 404
    response = await client.post(f"/plans/{world.plan_id}/outcomes", data=data)
    assert response.status_code == 403  # no CSRF token


async def test_vague_actions_get_smart_hints_on_the_plan_page(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.lead)
    await post_as_form(client, f"/plans/{world.plan_id}/actions", {
        "outcome_id": str(world.outcome_id), "owner": f"user:{world.invitee.id}",
        "description": "Engage with services", **_due(now.date() + timedelta(days=7))})
    html = (await client.get(f"/plans/{world.plan_id}")).text
    assert "To make this SMART" in html


async def test_action_hint_partial_coaches_while_typing(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.lead)
    vague = await post_htmx(client, f"/hints/action?plan_id={world.plan_id}", {
        "outcome_id": str(world.outcome_id), "owner": "", "description": "Mum to engage"})
    assert vague.status_code == 200 and "<html" not in vague.text
    assert "To make this SMART" in vague.text and "Specific" in vague.text
    good = await post_htmx(client, f"/hints/action?plan_id={world.plan_id}", {
        "outcome_id": str(world.outcome_id), "owner": f"user:{world.invitee.id}",
        "description": "Helen phones Jess every Monday at 9:15 to plan the school week.",
        "success_measure": "Six Monday calls logged on the school system.",
        "support_offered": "Helen offers a call slot.",
        **_due(now.date() + timedelta(days=14))})
    assert "SMART</strong>" in good.text and "To make this SMART" not in good.text
    await as_user(client, world.outsider)
    hidden = await post_htmx(client, f"/hints/action?plan_id={world.plan_id}",
                             {"description": "x"})
    assert hidden.status_code == 404
