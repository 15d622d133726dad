"""Small helpers the staff pages share: rendering, redirecting after a post, the web actor."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Redirect, Template

from tracker.audit import Actor
from tracker.people.caller import Caller


def web_actor(staff: Caller) -> Actor:
    """Changes made on the staff pages are attributed to the signed-in professional."""
    return Actor.user(staff.id, staff.name, channel="web")


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """True for a request htmx made (it swaps the answer into part of the page)."""
    return request.headers.get("hx-request") == "true"


def render(name: str, *, status: int = 200, **context: Any) -> Template:
    """A page or partial from templates/staff/."""
    return Template(template_name=f"staff/{name}", context=context, status_code=status)


def see_other(path: str) -> Redirect:
    """After a successful form post: back to a page with GET (post/redirect/get)."""
    return Redirect(path, status_code=303)
