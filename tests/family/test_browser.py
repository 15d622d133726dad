"""The family's path in a real phone-sized Chromium: texted link → continue → Done, lead told.

Also: axe-core finds no WCAG 2.2 A/AA violations on any family page, the Done button works
from the keyboard alone, and no page scrolls sideways at 320 CSS pixels (what 400% zoom of a
1280-pixel window gives).
"""

from __future__ import annotations

import json

import pytest

from tests.family.conftest import texted_link, token_of
from tests.support.browser import axe_violations, describe
from tests.support.factories import POLICY, WINDOWS, make_world
from tracker.family.routes import BAD_GUESS_LIMIT
from tracker.notify.tables import Outbox
from tracker.plans.tables import Action
from tracker.security import ratelimit

pytestmark = pytest.mark.browser

# Filled as the axe test runs: page -> number of violations (printed at the end with -s).
AXE_RESULTS: dict[str, int] = {}


@pytest.fixture(autouse=True)
async def fresh_rate_limit(live_server):  # type: ignore[no-untyped-def]
    """Every browser test opens links from 127.0.0.1 in the same clock window: start at zero."""
    await ratelimit.reset("family-link:127.0.0.1")
    yield
    await ratelimit.reset("family-link:127.0.0.1")


async def live_link(live_server: str, member_id: int, now) -> str:  # type: ignore[no-untyped-def]
    """The link `tracker family-link` would print, pointed at the live server."""
    return f"{live_server}/f/{token_of(await texted_link(member_id, now))}"


async def open_plan(page, live_server: str, world, now) -> None:  # type: ignore[no-untyped-def]
    await page.goto(await live_link(live_server, world.family["members"][0]["id"], now))
    await page.get_by_role("button", name="Continue to your plan").click()
    await page.wait_for_url(f"{live_server}/family")


async def test_from_the_texted_link_to_done_on_a_phone_and_the_lead_is_told(live_server, phone_page, live_clock):
    world = await make_world(live_clock.now())
    page = phone_page
    response = await page.goto(await live_link(live_server, world.family["members"][0]["id"], live_clock.now()))
    assert response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    await page.get_by_role("button", name="Continue to your plan").click()
    await page.wait_for_url(f"{live_server}/family")
    assert "/f/" not in page.url  # the token is gone from the address bar
    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert cookies["family_session"]["httpOnly"] and cookies["family_session"]["sameSite"] == "Lax"
    assert await page.get_by_role("heading", name="Hello Jess").is_visible()

    step = page.locator(f"#action-{world.member_action_id}")
    await step.get_by_role("button", name="Done").click()
    await page.wait_for_url(f"{live_server}/family?saved=done")
    assert await page.get_by_text("You said your step is done. We have let Sam Lead know.").is_visible()
    assert await step.get_by_text("Done", exact=True).first.is_visible()
    row = await Action.select(Action.status).where(Action.id == world.member_action_id).first()
    assert row["status"] == "done"
    told = await Outbox.select().where(
        (Outbox.recipient_user == world.lead.id) & (Outbox.template == "family_update_to_lead"))
    assert len(told) == 1 and told[0]["channel"] == "email"


async def test_the_done_button_works_from_the_keyboard_alone(live_server, phone_page, live_clock):
    world = await make_world(live_clock.now())
    page = phone_page
    await page.goto(await live_link(live_server, world.family["members"][0]["id"], live_clock.now()))
    await page.keyboard.press("Tab")  # the skip link comes first
    for _ in range(10):
        if (await page.evaluate("document.activeElement.textContent")).strip() == "Continue to your plan":
            break
        await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{live_server}/family")
    done_id = f"choice-{world.member_action_id}"
    for _ in range(80):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.id") == done_id:
            break
    else:
        pytest.fail("Tab never reached the Done button")
    focus = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle + ' ' + "
                                "getComputedStyle(document.activeElement).boxShadow")
    assert focus.strip() != "none none"  # the focus is visible
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{live_server}/family?saved=done")
    row = await Action.select(Action.status).where(Action.id == world.member_action_id).first()
    assert row["status"] == "done"


async def test_the_family_still_works_with_javascript_off(live_server, browser, live_clock):
    world = await make_world(live_clock.now())
    context = await browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = await context.new_page()
    try:
        await open_plan(page, live_server, world, live_clock.now())
        await page.locator(f"#action-{world.member_action_id}").get_by_role(
            "button", name="I need help with this").click()
        await page.wait_for_url(f"{live_server}/family?saved=help")
        await page.get_by_label("Your words").fill("Rosie loved her first full week.")
        await page.get_by_role("button", name="Send").click()
        await page.wait_for_url(f"{live_server}/family?saved=message")
        assert await page.get_by_text("Rosie loved her first full week.").is_visible()
    finally:
        await context.close()


async def _pages(page, live_server: str, live_clock):  # type: ignore[no-untyped-def]
    """Visit every family page in turn, yielding its name once it is showing."""
    world = await make_world(live_clock.now())
    jess = world.family["members"][0]["id"]
    await page.goto(await live_link(live_server, jess, live_clock.now()))
    yield "continue (/f/{token})"
    await page.get_by_role("button", name="Continue to your plan").click()
    await page.wait_for_url(f"{live_server}/family")
    yield "plan (/family)"
    step = page.locator(f"#action-{world.member_action_id}")
    await step.get_by_label("Anything you want to say?").fill("x" * 501)
    await step.get_by_role("button", name="Started").click()
    await page.wait_for_load_state()
    assert await page.get_by_text("There is a problem").is_visible()
    yield "plan with errors (POST /family/actions/{id}, 400)"
    await page.goto(f"{live_server}/family?saved=started")
    yield "plan with thank-you banner (/family?saved=…)"
    await page.goto(f"{live_server}/family/not-a-page")
    yield "not found (404)"
    await page.goto(f"{live_server}/family")
    await page.evaluate("document.querySelectorAll('input[name=_csrf_token]').forEach(i => i.value = 'x')")
    await page.get_by_role("button", name="Send").click()
    await page.wait_for_load_state()
    assert await page.get_by_text("Please try that again").is_visible()
    yield "form expired (CSRF refused, 403)"
    await page.goto(f"{live_server}/family/our-plan")
    assert await page.get_by_role("heading", name="Our plan", level=1).is_visible()
    yield "our plan (/family/our-plan)"
    await page.get_by_role("button", name="Send me a copy by email").click()
    await page.wait_for_load_state()
    assert await page.get_by_text("We do not have an email address for you").first.is_visible()
    yield "our plan without an email address (POST /family/our-plan/email, 400)"
    await page.goto(f"{live_server}/family")
    await page.get_by_role("button", name="Close this page").click()
    await page.wait_for_load_state()
    yield "closed (POST /family/leave)"
    await page.goto(f"{live_server}/family")
    yield "signed out (/family without a session, 401)"
    await page.goto(f"{live_server}/f/not-a-real-token-xxxxxxxxxxxxxxxxxxxx")
    yield "link does not work (unknown/expired/revoked, 404)"
    for _ in range(BAD_GUESS_LIMIT.attempts):
        await ratelimit.hit("family-link-bad:127.0.0.1", BAD_GUESS_LIMIT, now=live_clock.now())
    await page.goto(f"{live_server}/f/another-wrong-token-xxxxxxxxxxxxxxxxxxxx")
    yield "too many tries (429)"


@pytest.mark.parametrize("viewport", [{"width": 360, "height": 740}, {"width": 1280, "height": 800}],
                         ids=["phone", "desktop"])
async def test_axe_finds_no_accessibility_problems_on_any_family_page(live_server, browser, live_clock, viewport):
    # axe is injected as an inline script, which the pages' CSP rightly forbids: bypass it
    # for the test only.
    context = await browser.new_context(viewport=viewport, bypass_csp=True)
    page = await context.new_page()
    results: dict[str, int] = {}
    failures = []
    try:
        async for name in _pages(page, live_server, live_clock):
            violations = await axe_violations(page)
            results[name] = len(violations)
            if violations:
                failures.append(f"{name}:\n{describe(violations)}")
    finally:
        await context.close()
    AXE_RESULTS.update({f"{viewport['width']}px {k}": v for k, v in results.items()})
    print(f"\naxe-core WCAG 2.2 A/AA violations per family page at {viewport['width']}px:\n"
          + json.dumps(results, indent=2))
    assert len(results) == 12
    assert not failures, "\n\n".join(failures)


async def test_no_family_page_scrolls_sideways_at_320_pixels(live_server, browser, live_clock):
    context = await browser.new_context(viewport={"width": 320, "height": 640})
    page = await context.new_page()
    try:
        wide = []
        async for name in _pages(page, live_server, live_clock):
            width = await page.evaluate("document.documentElement.scrollWidth")
            if width > 320:
                wide.append(f"{name}: {width}px")
        assert not wide, wide
    finally:
        await context.close()


async def test_the_demo_link_from_the_command_opens_on_a_phone_and_marks_a_step_done(
        live_server, phone_page, live_clock):
    """The issue's finish line: `tracker family-link --demo` → phone Chromium → continue → Done."""
    import asyncio
    import sys
    from pathlib import Path

    from tracker.demo_voice import HELEN_SHARED_NOTE, ROUTINE_STEP, SAM_REPLY, seed_full_demo

    await seed_full_demo(policy=POLICY, windows=WINDOWS, now=live_clock.now())
    command = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "tracker"), "--now", live_clock.now().isoformat(),
        "family-link", "--demo", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(command.communicate(), timeout=120)
    assert command.returncode == 0, err.decode()
    url = out.decode().strip().replace("http://testserver.local", live_server)
    page = phone_page
    await page.goto(url)
    await page.get_by_role("button", name="Continue to your plan").click()
    await page.wait_for_url(f"{live_server}/family")
    assert await page.get_by_role("heading", name="Hello Jess").is_visible()
    # The demo's family side, as Jess reads it: Sam's reply, Helen's shared note, her routine
    # step, and Rosie's words the chair shared.
    text = await page.locator("main").inner_text()
    for words in (SAM_REPLY, HELEN_SHARED_NOTE, ROUTINE_STEP, "on weekdays",
                  "Rosie told her teacher"):
        assert words in text, words
    # The first of her steps still open (other tests may have moved some of the demo's on).
    done_button = page.locator("button[id^=choice-]").first
    step = int((await done_button.get_attribute("id")).removeprefix("choice-"))
    await page.locator(f"#action-{step}").get_by_role("button", name="Done").click()
    await page.wait_for_url(f"{live_server}/family?saved=done")
    assert (await Action.select(Action.status).where(Action.id == step).first())["status"] == "done"
    lead_told = await Outbox.select().where(Outbox.template == "family_update_to_lead")
    assert any(json.loads(r["context"])["member_name"] == "Jess" for r in lead_told)
