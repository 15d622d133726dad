"""Shared set-up for the staff page tests: a world whose people can sign in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.support.factories import World, make_world
from tests.support.staff import csrf_token, sign_in
from tracker.people.accounts import hash_password
from tracker.people.tables import StaffUser

PASSWORD = "correct horse battery"
_HASH: str | None = None


async def give_password(user_id: int) -> None:
    """Let a factory-made user sign in with PASSWORD (the hash is computed once per run)."""
    global _HASH
    if _HASH is None:
        _HASH = await hash_password(PASSWORD)
    await StaffUser.update({StaffUser.password_hash: _HASH}).where(StaffUser.id == user_id)


async def signable_world(now: datetime) -> World:
    """make_world, with every professional able to sign in."""
    world = await make_world(now)
    for user in (world.lead, world.chair, world.invitee, world.outsider):
        await give_password(user.id)
    return world


async def as_user(client: Any, user: Any) -> None:
    """Sign the client in as a factory user (signing out whoever was signed in)."""
    client.cookies.clear()
    await sign_in(client, user.email, PASSWORD)


async def post_as_form(client: Any, path: str, data: dict[str, Any] | None = None,
                       **kwargs: Any) -> Any:
    """POST url-encoded data with the CSRF token in the form, as a browser without JS does."""
    token = await csrf_token(client, "/actions")
    return await client.post(path, data={**(data or {}), "_csrf_token": token}, **kwargs)


async def post_htmx(client: Any, path: str, data: dict[str, Any] | None = None) -> Any:
    """POST as htmx does: token in the x-csrftoken header, HX-Request set."""
    token = await csrf_token(client, "/actions")
    return await client.post(path, data=data or {},
                             headers={"x-csrftoken": token, "HX-Request": "true"})
