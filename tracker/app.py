"""The Litestar application factory: routes, error answers, database lifespan, clock."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    ValidationException,
)
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from piccolo.engine import engine_finder

from tracker import bootstrap, db
from tracker.api_responses import (
    PublicOperation,
    StrictStructSchemaPlugin,
    allow_header_middleware,
)
from tracker.clock import Clock, SystemClock
from tracker.deps import (
    authenticate_first,
    provide_caller,
    provide_conference_tell,
    provide_now,
    provide_policy,
    provide_staff,
    provide_today,
    provide_windows,
)
from tracker.edge import check_request
from tracker.errors import FieldErrors, Forbidden, NotFound
from tracker.family.routes import ROUTES as FAMILY_ROUTES
from tracker.notify.heartbeat import Heartbeat
from tracker.notify.outbox import send_windows
from tracker.notify.routes import ROUTES as NOTIFY_ROUTES
from tracker.ops.logs import litestar_logging_config
from tracker.ops.observe import observe_requests
from tracker.ops.routes import ROUTES as OPS_ROUTES
from tracker.plans.common import PlanPolicy
from tracker.plans.core_group_routes import ROUTES as CORE_GROUP_ROUTES
from tracker.plans.routes import ROUTES as PLAN_ROUTES
from tracker.settings import Settings, get_settings
from tracker.staff.admin_routes import ROUTES as STAFF_ADMIN_ROUTES
from tracker.staff.auth_routes import ROUTES as STAFF_AUTH_ROUTES
from tracker.staff.calendar_routes import ROUTES as STAFF_CALENDAR_ROUTES
from tracker.staff.oidc_routes import ROUTES as STAFF_OIDC_ROUTES
from tracker.staff.pages import router as staff_pages
from tracker.staff.sessions import EXCEPTION_HANDLERS as STAFF_EXCEPTION_HANDLERS
from tracker.staff.sessions import is_page_path, staff_session_middleware
from tracker.web import (
    csrf_config,
    fingerprinted_assets_route,
    redact_path,
    security_headers_hook,
    static_router,
    template_config,
)

log = logging.getLogger("tracker")


def _field_errors(_: Request, exc: FieldErrors) -> Response[dict[str, Any]]:
    return Response({"detail": exc.detail, "errors": exc.errors}, status_code=400)


def _validation_errors(request: Request, exc: ValidationException) -> Response[Any]:
    """Litestar's body/parameter validation, reshaped to one message per field.

    On a staff page (a form the edge refused before its handler ran) a page says so instead.
    """
    errors: dict[str, str] = {}
    for item in exc.extra or []:
        if isinstance(item, dict):
            message = str(item.get("message", "This value is not valid."))
            key = str(item.get("key") or item.get("source") or "body")
            # msgspec names the field inside the message: "... missing required field `text`"
            # or "... - at `$.members[0].name`"; name the field the caller has to fix.
            if missing := re.search(r"missing required field `([^`]+)`", message):
                key = missing.group(1)
            elif at := re.search(r"at `\$\.([^`]+)`", message):
                key = at.group(1)
            errors[key] = message
    if not errors:
        errors["body"] = exc.detail or "The request body is not valid JSON of the expected shape."
    if is_page_path(request.url.path):
        return Template(template_name="staff/bad_request.html", status_code=400,
                        context={"errors": errors})
    return Response(
        {"detail": "Please check the fields named below.", "errors": errors}, status_code=400
    )


def _not_found(_: Request, __: NotFound) -> Response[dict[str, Any]]:
    # Same body whether the record is missing or hidden from the caller.
    return Response({"detail": "Not found."}, status_code=404)


def _forbidden(_: Request, exc: Forbidden) -> Response[dict[str, Any]]:
    return Response({"detail": str(exc)}, status_code=403)


def _unexpected(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, HTTPException):
        body: dict[str, Any] = {"detail": exc.detail}
        if exc.status_code == 400:
            # Every 400 names what to fix (the API documents `errors` on each): a body that is
            # not JSON, or not readable, is the body's fault.
            body["errors"] = {"body": exc.detail}
        return Response(body, status_code=exc.status_code, headers=exc.headers)
    log.exception("unexpected error on %s %s", request.method, redact_path(request.url.path))
    return Response({"detail": "Something went wrong on our side. Please try again."},
                    status_code=HTTP_500_INTERNAL_SERVER_ERROR)


async def _before_request(request: Request) -> None:
    await authenticate_first(request)
    await check_request(request)


@get("/health", tags=["ops"], include_in_schema=True, operation_class=PublicOperation,
     responses={503: ResponseSpec(
         data_container=dict[str, Any], generate_examples=False,
         description="The database does not answer, or the dispatcher has stopped ticking.")})
async def health(request: Request) -> Response[dict[str, Any]]:
    """200 when the database answers and (where it runs here) the dispatcher ticks; else 503.

    The dispatcher part shows when it last ticked cleanly: ticks that keep failing, or that
    stop coming, mean nobody is being nudged, so a monitor must hear about it.
    """
    engine = engine_finder()
    ok = engine is not None and await db.ping(engine)
    body: dict[str, Any] = {"status": "ok" if ok else "database unreachable"}
    heartbeat: Heartbeat | None = request.app.state.get("dispatcher_heartbeat")
    if heartbeat is not None:
        settings: Settings = request.app.state["settings"]
        now = request.app.state["clock"].now()
        body["dispatcher"] = heartbeat.view(now, timedelta(seconds=settings.dispatch_stall_seconds))
        if ok and body["dispatcher"]["status"] != "ok":
            ok = False
            body["status"] = "dispatcher stalled"
    return Response(body, status_code=200 if ok else 503)


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None,
    extra_route_handlers: list[Any] | None = None, scheduler: bool = True,
) -> Litestar:
    """Build the application; tests pass a FixedClock and their own settings.

    `scheduler=False` makes a web-only instance: no nudge dispatcher ticks in this process.
    """
    settings = settings or get_settings()
    clock = clock or SystemClock()
    bootstrap.wire()

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncIterator[None]:
        engine = db.configured_engine()
        await db.start(engine, settings)
        try:
            yield
        finally:
            await db.stop(engine)

    app = Litestar(
        route_handlers=[
            health,
            *OPS_ROUTES,
            static_router(),
            fingerprinted_assets_route(),
            *PLAN_ROUTES,
            *CORE_GROUP_ROUTES,
            *FAMILY_ROUTES,
            *STAFF_AUTH_ROUTES,
            *STAFF_OIDC_ROUTES,
            *STAFF_CALENDAR_ROUTES,
            *STAFF_ADMIN_ROUTES,
            staff_pages,
            *NOTIFY_ROUTES,
            *(extra_route_handlers or []),
        ],
        lifespan=[database, *([bootstrap.dispatcher_lifespan(settings, clock)] if scheduler else [])],
        # What this app decides from its settings, handed to handlers (never read as a global).
        state=State({"clock": clock, "settings": settings,
                     "plan_policy": PlanPolicy.from_settings(settings),
                     "send_windows": send_windows(settings)}),
        dependencies={
            "caller": Provide(provide_caller),
            "staff": Provide(provide_staff),
            "now": Provide(provide_now),
            "today": Provide(provide_today),
            "policy": Provide(provide_policy),
            "windows": Provide(provide_windows),
            "conference_tell": Provide(provide_conference_tell),
        },
        exception_handlers={
            FieldErrors: _field_errors,
            ValidationException: _validation_errors,
            NotFound: _not_found,
            Forbidden: _forbidden,
            NotAuthorizedException: _unexpected,
            HTTPException: _unexpected,
            Exception: _unexpected,
            # Pages: 303 to /signin when signed out, a kind 403 page; the API keeps JSON.
            **STAFF_EXCEPTION_HANDLERS,
        },
        openapi_config=OpenAPIConfig(
            title="Restorative SMART plan tracker",
            version="1.0.0",
            path="/schema",
            components=Components(security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer",
                                         description="An API token from `tracker api-token`."),
            }),
            security=[{"bearer": []}],
        ),
        template_config=template_config(settings),
        csrf_config=csrf_config(settings),
        # Every request's path, query and body are checked before any handler runs (after the
        # API token: a request without one hears 401 first).
        before_request=_before_request,
        middleware=[allow_header_middleware, staff_session_middleware],
        before_send=[security_headers_hook(settings)],
        logging_config=litestar_logging_config(),
        plugins=[StrictStructSchemaPlugin()],
        debug=False,
    )
    # Outside routing, so unknown paths are logged, counted and given a request id too.
    app.asgi_handler = observe_requests(app.asgi_handler)
    return app


