"""/profile: every signed-in professional's own details, and how they would like to be nudged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from tracker.errors import FieldErrors
from tracker.people.caller import Caller
from tracker.people.profile import NUDGE_CHOICES, ProfileIn, profile_of, update_profile
from tracker.staff.pages.common import web_actor


def _page(profile: dict[str, Any], *, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, saved: bool = False, status: int = 200) -> Template:
    shown = values or {"mobile": profile["mobile"] or "", "nudge_by": profile["nudge_by"]}
    return Template(template_name="staff/profile.html", status_code=status,
                    context={"profile": profile, "values": shown, "errors": errors or {},
                             "choices": NUDGE_CHOICES, "saved": saved})


@get("/profile")
async def profile_page(staff: NamedDependency[Caller], saved: FromQuery[str | None] = None) -> Template:
    """Your details, your work mobile, and email, text or both."""
    return _page(await profile_of(staff.id), saved=saved == "1")


@post("/profile")
async def save_profile(data: URLEncodedBody[dict[str, str]], staff: NamedDependency[Caller],
                       now: NamedDependency[datetime]) -> Template | Redirect:
    """Save the mobile and the choice; field messages (400) for a number we cannot text."""
    values = {"mobile": str(data.get("mobile", "")), "nudge_by": str(data.get("nudge_by", ""))}
    try:
        await update_profile(user_id=staff.id, data=ProfileIn(**values), now=now,
                             actor=web_actor(staff))
    except FieldErrors as exc:
        return _page(await profile_of(staff.id), values=values, errors=dict(exc.errors), status=400)
    return Redirect("/profile?saved=1", status_code=303)
