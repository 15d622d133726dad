"""Every staff page on a 375 px phone, as each demo role: no sideways scroll, axe 0 violations.

The pages come from the app's own route table (every GET page that is not public), so a page
added later is checked the moment it is registered; path parameters are filled from the demo
family. Wide tables scroll inside their own container (.app-table-scroll), never the page.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.staff.test_authorisation import fill, is_public, staff_routes
from tests.support.browser import axe_violations, describe
from tests.support.factories import POLICY, WINDOWS
from tests.support.staff import sign_in_page
from tracker.demo import DEMO_FAMILY, DEMO_PASSWORD, STAFF
from tracker.demo_voice import seed_full_demo
from tracker.people.accounts import hash_password_sync
from tracker.people.tables import StaffUser
from tracker.plans.tables import (
    Action,
    Child,
    Conference,
    CoreGroupMeeting,
    Family,
    FamilyMember,
    Plan,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
# Not pages a person reads on a phone: developer tools, and a file download.
SKIP = ("/dev/", "/signout", "/reports/", "/calendar/{feed}")


async def _demo_values() -> dict[str, Any]:
    """Values for every path parameter, from the demo family."""
    family = await Family.select(Family.id).where(Family.name == DEMO_FAMILY).first()
    fid = family["id"]
    plan = await Plan.select(Plan.id).where((Plan.family == fid) & (Plan.status == "active")).first()
    conference = await Conference.select(Conference.id).where(Conference.family == fid).order_by(
        Conference.starts_at).first()
    action = await Action.select(Action.id, Action.outcome).where(Action.plan == plan["id"]).first()
    member = await FamilyMember.select(FamilyMember.id).where(FamilyMember.family == fid).first()
    child = await Child.select(Child.id).where(Child.family == fid).first()
    user = await StaffUser.select(StaffUser.id).first()
    meeting = await CoreGroupMeeting.select(CoreGroupMeeting.id).where(
        CoreGroupMeeting.family == fid).first()
    return {**({"meeting_id": meeting["id"]} if meeting else {}),
            "family_id": fid, "plan_id": plan["id"], "conference_id": conference["id"],
            "action_id": action["id"], "outcome_id": action["outcome"], "member_id": member["id"],
            "child_id": child["id"], "user_id": user["id"], "token": "x", "feed": "x",
            "file_path": "x", "rest": "x"}


async def _page_problems(page: Any, base: str, path: str, who: str) -> list[str]:
    await page.goto(f"{base}{path}")
    problems = []
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    if width > PHONE["width"]:
        wide = await page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 376 && !e.closest('.app-table-scroll'))
            .slice(-3).map(e => e.tagName + '.' + e.className + '#' + e.id)""")
        problems.append(f"{who} {path}: {width} px wide ({wide})")
    if violations := await axe_violations(page):
        problems.append(f"{who} {path}: axe\n{describe(violations)}")
    return problems


async def test_every_staff_page_fits_a_375_px_phone_for_every_demo_role(live_server, browser,
                                                                         live_clock, app):
    await seed_full_demo(now=live_clock.now(), policy=POLICY, windows=WINDOWS)
    # The demo may have been seeded earlier in this shared database and its accounts changed
    # since by other tests (deactivated in a handover, a password changed): sign in as written.
    await StaffUser.update({StaffUser.active: True,
                            StaffUser.password_hash: hash_password_sync(DEMO_PASSWORD)}).where(
        StaffUser.email.is_in([email for email, *_ in STAFF]))
    values = await _demo_values()
    paths = sorted({fill(r, values) for r in staff_routes(app)
                    if r.method == "GET" and not is_public(r)
                    and not any(s in r.path for s in SKIP)
                    and set(r.params) <= set(values)})  # a page the demo has nothing for
    assert "/families" in paths and f"/plans/{values['plan_id']}" in paths
    problems: list[str] = []
    for email, name, *_ in STAFF:
        context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        page = await context.new_page()
        try:
            await sign_in_page(page, live_server, email, DEMO_PASSWORD)
            for path in paths:
                problems += await _page_problems(page, live_server, path, name)
        finally:
            await context.close()
    assert not problems, "\n".join(problems)
