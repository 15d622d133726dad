"""Dependencies every route shares: the clock and the authenticated caller."""

from __future__ import annotations

from datetime import date, datetime

from litestar import Request
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException

from tracker.clock import Clock, local_date
from tracker.notify.conference_news import conference_teller
from tracker.notify.quiet import SendWindows
from tracker.people.accounts import caller_for_token
from tracker.people.caller import Caller
from tracker.plans.common import PlanPolicy
from tracker.plans.conferences import Tell


def clock_of(state: State) -> Clock:
    """The app's injected clock."""
    return state["clock"]


async def provide_policy(state: State) -> PlanPolicy:
    """The plan policy (statutory timings, date span, language rules) the app was built with."""
    policy: PlanPolicy = state["plan_policy"]
    return policy


async def provide_windows(state: State) -> SendWindows:
    """The quiet hours the app was built with (where a message's first try is placed)."""
    windows: SendWindows = state["send_windows"]
    return windows


async def provide_conference_tell(state: State) -> Tell:
    """Tells the people invited to a conference, its chair and the family that it moved or is
    cancelled: messages queued in the change's own transaction (tracker.notify.conference_news)."""
    windows: SendWindows = state["send_windows"]
    return conference_teller(windows, clock_of(state).now())


async def provide_now(state: State) -> datetime:
    """The current UTC instant from the injected clock."""
    return clock_of(state).now()


async def provide_today(state: State) -> date:
    """Today's date in Europe/London."""
    return local_date(clock_of(state).now())


API_CALLER = "api_caller"
"""Where `authenticate_first` keeps the caller in the request's scope state."""


async def authenticate_first(request: Request) -> None:
    """A handler that needs an API caller answers 401 to a missing or bad token before any
    400, 404 or 415 about what was sent: nobody learns how the API checks input without a token.

    Runs before the edge checks (`create_app`'s `before_request`); `provide_caller` then reuses
    the caller, so the token is looked up once.
    """
    if "caller" in request.route_handler.parsed_fn_signature.parameters:
        request.scope.setdefault("state", {})[API_CALLER] = await provide_caller(request)


async def provide_caller(request: Request) -> Caller:
    """The professional behind the request's bearer token (the JSON API takes no cookies)."""
    known = request.scope.get("state", {}).get(API_CALLER)
    if isinstance(known, Caller):
        return known
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
