"""Family plan links from the staff family page: send a fresh link once, or stop a link working.

The link is a secret: it is shown on one result page only (never stored, never in a URL the
browser keeps), and that page is not cached and sends no Referer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from tracker.errors import FieldErrors, NotFound
from tracker.family.links import LinkPolicy, issue_link, revoke_member_links
from tracker.people.caller import Caller
from tracker.plans import service
from tracker.plans.access import require_manage
from tracker.staff.pages.common import web_actor

SECRET_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
"""For every page here: the fresh link must not linger in a cache or leak in a Referer."""


def _page(name: str, *, status: int = 200, **context: Any) -> Template:
    return Template(template_name=f"staff/{name}", context=context, status_code=status,
                    headers=dict(SECRET_HEADERS))


async def _family_and_member(staff: Caller, family_id: int,
                             member_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The family (the caller must manage it) and one of its adults; 404 for anyone else's."""
    await require_manage(staff, family_id)
    family = await service.family_view(family_id)
    member = next((m for m in family["members"] if m["id"] == member_id), None)
    if member is None:
        raise NotFound(f"member {member_id} of family {family_id}")
    return family, member


@post("/families/{family_id:int}/members/{member_id:int}/link")
async def send_link(family_id: FromPath[int], member_id: FromPath[int],
                    staff: NamedDependency[Caller], now: NamedDependency[datetime],
                    state: State) -> Template:
    """Make a fresh plan link for an adult (their old one stops) and show it this once."""
    family, member = await _family_and_member(staff, family_id, member_id)
    if not member["safe_to_contact"]:
        return _page("family_link_refused.html", status=400, family=family, member=member,
                     reason="not_safe")
    policy = LinkPolicy.from_settings(state["settings"])
    try:
        url = await issue_link(member_id=member_id, now=now, actor=web_actor(staff), policy=policy)
    except FieldErrors:
        # The only other refusal: the family has no current plan to link to.
        return _page("family_link_refused.html", status=400, family=family, member=member,
                     reason="no_plan")
    return _page("family_link_sent.html", family=family, member=member, url=url,
                 days=policy.days)


@get("/families/{family_id:int}/members/{member_id:int}/stop-link")
async def confirm_stop_link(family_id: FromPath[int], member_id: FromPath[int],
                            staff: NamedDependency[Caller]) -> Template:
    """Ask before stopping an adult's link: they will need a new one to see the plan."""
    family, member = await _family_and_member(staff, family_id, member_id)
    return _page("family_link_stop.html", family=family, member=member)


@post("/families/{family_id:int}/members/{member_id:int}/stop-link")
async def stop_link(family_id: FromPath[int], member_id: FromPath[int],
                    staff: NamedDependency[Caller], now: NamedDependency[datetime]) -> Template:
    """Stop the adult's link working and sign them out of the plan on their phone."""
    family, member = await _family_and_member(staff, family_id, member_id)
    ended = await revoke_member_links(member_id=member_id, reason="revoked_by_lead", now=now,
                                      actor=web_actor(staff))
    return _page("family_link_stopped.html", family=family, member=member, ended=ended)

