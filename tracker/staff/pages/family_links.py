"""Family plan links from the staff family page: send the member their link, or stop it working.

"Send a new plan link" sends the member's link (the same one their texts carry, or a new one
when none is live) through the outbox by their channel, and shows it once for reading out.
Replacing a link is the separate "stop their link working": the next one sent is then new.
The link is a secret: it is shown on one result page only (never stored, never in a URL the
browser keeps), and that page is not cached and sends no Referer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from tracker.errors import FieldErrors, NotFound
from tracker.family.links import LinkPolicy, revoke_member_links, send_member_link
from tracker.family.tables import FamilyLink, FamilySession
from tracker.notify.quiet import SendWindows
from tracker.people.caller import Caller
from tracker.plans import service
from tracker.plans.access import require_manage
from tracker.staff.pages.common import see_other, web_actor

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
                    windows: NamedDependency[SendWindows], state: State) -> Template:
    """Send an adult their plan link by their channel, and show it this once."""
    family, member = await _family_and_member(staff, family_id, member_id)
    if not member["safe_to_contact"]:
        return _page("family_link_refused.html", status=400, family=family, member=member,
                     reason="not_safe")
    policy = LinkPolicy.from_settings(state["settings"])
    try:
        sent = await send_member_link(member_id=member_id, now=now, actor=web_actor(staff),
                                      policy=policy, windows=windows)
    except FieldErrors:
        # The only other refusal: the family has no current plan to link to.
        return _page("family_link_refused.html", status=400, family=family, member=member,
                     reason="no_plan")
    return _page("family_link_sent.html", family=family, member=member, url=sent.url,
                 channel=sent.channel, why_not=sent.why_not, days=policy.days)


async def _has_live_access(member_id: int, now: datetime) -> bool:
    """True when the adult has a link that still opens the plan, or is signed in to it."""
    link = await FamilyLink.exists().where(
        (FamilyLink.member == member_id) & FamilyLink.revoked_at.is_null() & (FamilyLink.expires_at > now))
    return link or await FamilySession.exists().where(
        (FamilySession.member == member_id) & FamilySession.ended_at.is_null()
        & (FamilySession.expires_at > now))


@get("/families/{family_id:int}/members/{member_id:int}/stop-link")
async def confirm_stop_link(family_id: FromPath[int], member_id: FromPath[int],
                            staff: NamedDependency[Caller], now: NamedDependency[datetime],
                            stopped: FromQuery[str | None] = None) -> Template:
    """Ask before stopping an adult's link (or say plainly there is nothing to stop). After
    stopping it (?stopped=1, or ?stopped=0 when there was none), say so."""
    family, member = await _family_and_member(staff, family_id, member_id)
    if stopped in ("0", "1"):
        return _page("family_link_stopped.html", family=family, member=member,
                     ended=int(stopped))
    return _page("family_link_stop.html", family=family, member=member,
                 live=await _has_live_access(member_id, now))


@post("/families/{family_id:int}/members/{member_id:int}/stop-link")
async def stop_link(family_id: FromPath[int], member_id: FromPath[int],
                    staff: NamedDependency[Caller], now: NamedDependency[datetime]) -> Redirect:
    """Stop the adult's link working and sign them out of the plan on their phone; then
    post/redirect/get to the page that says so."""
    await _family_and_member(staff, family_id, member_id)
    ended = await revoke_member_links(member_id=member_id, reason="revoked_by_lead", now=now,
                                      actor=web_actor(staff))
    return see_other(f"/families/{family_id}/members/{member_id}/stop-link"
                     f"?stopped={1 if ended else 0}")

