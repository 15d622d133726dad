"""Handing a leaver's work to someone else: an admin (any family) or a family's lead (theirs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from tracker.errors import FieldErrors, Forbidden, NotFound
from tracker.notify.outbox import enqueue
from tracker.notify.quiet import SendWindows
from tracker.people.caller import Caller, parse_roles
from tracker.people.tables import StaffUser
from tracker.plans import handover
from tracker.plans.common import staff_directory
from tracker.staff.pages.common import render, see_other, web_actor
from tracker.staff.pages.fields import int_or_none, text

ONLY_ADMIN_OR_LEAD = "Only an admin, or the lead professional of the family, can hand this work on."


async def _scope(staff: Caller) -> set[int] | None:
    """The families whose work this person may hand on: every family for an admin, else the ones
    they lead (Forbidden when none)."""
    if staff.is_admin:
        return None
    led = await handover.lead_family_ids(staff.id)
    if not led:
        raise Forbidden(ONLY_ADMIN_OR_LEAD)
    return led


async def _page(user_id: int, scope: set[int] | None, errors: dict[str, str], chosen: str,
                status: int = 200, **extra: Any) -> Template:
    leaver = await StaffUser.select(StaffUser.id, StaffUser.name, StaffUser.active,
                                    StaffUser.agency).where(StaffUser.id == user_id).first()
    if leaver is None:
        raise NotFound(f"user {user_id}")
    people = [p for p in await staff_directory()
              if p["id"] != user_id and "professional" in parse_roles(p["roles"])]
    return render("handover.html", status=status, leaver=leaver,
                  items=await handover.held_by(user_id, scope), people=people, errors=errors,
                  chosen=chosen, **extra)


@get("/people/{user_id:int}/handover")
async def handover_page(user_id: FromPath[int], staff: NamedDependency[Caller],
                        done: FromQuery[int | None] = None) -> Template:
    """What this professional still holds (in the families the viewer may hand on), and who to
    give it to."""
    return await _page(user_id, await _scope(staff), {}, "", done=done)


def email_teller(windows: SendWindows, now: datetime, from_user_id: int) -> handover.Tell:
    """Tell the new holder by email, through the outbox, in the handover's transaction."""

    async def tell(to_user_id: int, summary: dict[str, Any]) -> None:
        await enqueue(channel="email", template="work_handed_over", due_at=now, windows=windows,
                      key=f"work_handed_over:user:{to_user_id}:from:{from_user_id}:{now.isoformat()}",
                      context={"from_name": summary["from_name"], "count": summary["count"],
                               "family_count": len(summary["families"])},
                      recipient_user_id=to_user_id)

    return tell


@post("/people/{user_id:int}/handover")
async def hand_over(user_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                    staff: NamedDependency[Caller], now: NamedDependency[datetime],
                    windows: NamedDependency[SendWindows]) -> Template | Redirect:
    """Give all of it to one active professional, in one step."""
    scope = await _scope(staff)
    chosen = text(data, "to_user")
    try:
        moved = await handover.hand_over(
            from_user_id=user_id, to_user_id=int_or_none(chosen), actor=web_actor(staff),
            now=now, family_ids=scope, tell=email_teller(windows, now, user_id))
    except FieldErrors as exc:
        errors = {"to-user" if k == "to_user_id" else "items": v for k, v in exc.errors.items()}
        return await _page(user_id, scope, errors, chosen, status=400, done=None)
    return see_other(f"/people/{user_id}/handover?done={moved}")
