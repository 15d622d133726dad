"""Dependencies every route shares: the clock and the authenticated caller."""

from __future__ import annotations

from datetime import date, datetime

from litestar import Request
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException

from tracker.clock import Clock, local_date
from tracker.people.accounts import caller_for_token
from tracker.people.caller import Caller


def clock_of(state: State) -> Clock:
    """The app's injected clock."""
    return state["clock"]


async def provide_now(state: State) -> datetime:
    """The current UTC instant from the injected clock."""
    return clock_of(state).now()


async def provide_today(state: State) -> date:
    """Today's date in Europe/London."""
    return local_date(clock_of(state).now())


async def provide_caller(request: Request) -> Caller:
    """The professional behind the request's bearer token (the JSON API takes no cookies)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        caller = await caller_for_token(token.strip(), now=clock_of(request.app.state).now())
        if caller is not None:
            request.scope["state"]["user_id"] = caller.id  # for the access log (an id, never a name)
            return caller
        raise NotAuthorizedException("This API token is not valid.")
    raise NotAuthorizedException("Send an API token as 'Authorization: Bearer …'.")


async def provide_staff(request: Request) -> Caller:
    """The signed-in professional behind a page request (set by the staff session middleware)."""
    caller = request.scope.get("state", {}).get("caller")
    if isinstance(caller, Caller):
        return caller
    raise NotAuthorizedException("Please sign in.")
