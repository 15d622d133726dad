"""/admin: staff accounts for admins only; thin handlers over tracker.staff.users."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from tracker.audit import Actor
from tracker.errors import FieldErrors
from tracker.people.caller import ROLES
from tracker.plans import handover
from tracker.staff import users
from tracker.staff.oidc import require_password_signin
from tracker.staff.sessions import current_caller, require_role

ROLE_HINTS = {
    "professional": "Keeps their actions and reports up to date.",
    "chair": "Chairs conferences and reviews plans before each review conference.",
    "admin": "Adds, changes and deactivates accounts; sees every family.",
}
FIELD_ORDER = ("name", "email", "role_title", "agency", "phone", "roles", "password", "active")


def _actor(request: Request[Any, Any, Any]) -> Actor:
    caller = current_caller(request)
    assert caller is not None  # the admin guard saw to it
    return Actor.user(caller.id, caller.name, channel="web")


def _now(request: Request[Any, Any, Any]) -> Any:
    return request.app.state["clock"].now()


def _ordered(errors: dict[str, str]) -> dict[str, str]:
    return {k: errors[k] for k in sorted(errors, key=lambda k: (
        FIELD_ORDER.index(k) if k in FIELD_ORDER else 99))}


def _user_form(*, data: users.UserForm, user: dict[str, Any] | None = None,
               errors: dict[str, str] | None = None, notice: str = "", status: int = 200,
               held: int = 0) -> Template:
    return Template(
        template_name="staff/admin_user.html",
        context={"data": data, "user": user, "errors": _ordered(errors or {}), "roles": ROLES,
                 "role_hints": ROLE_HINTS, "notice": notice, "held": held},
        status_code=status,
    )


class AdminController(Controller):
    """Admins manage staff accounts."""

    path = "/admin"
    guards = [require_role("admin")]
    include_in_schema = False

    @get("/")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        """Everyone with an account."""
        notice = {"added": "Account added.", "saved": "Changes saved.",
                  "deactivated": "Account deactivated: their sessions, API tokens and calendar "
                                 "address no longer work.",
                  "reactivated": "Account reactivated.",
                  "sent": "We've emailed them a link to choose a password."}.get(
            request.query_params.get("done", ""), "")
        return Template(template_name="staff/admin.html",
                        context={"users": await users.list_users(), "notice": notice})

    @get("/users/new")
    async def new_user_form(self) -> Template:
        """The add-a-user form."""
        return _user_form(data=users.UserForm(roles=["professional"]))

    @post("/users/new")
    async def add_user(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Add the user; on errors the form comes back with everything typed still in it."""
        data = users.UserForm.from_form(await request.form())
        try:
            settings = request.app.state["settings"]
            await users.add_user(data=data, actor=_actor(request), now=_now(request),
                                 base_url=settings.public_base_url,
                                 windows=request.app.state["send_windows"],
                                 invite=settings.password_signin)
        except FieldErrors as exc:
            data.password = ""
            return _user_form(data=data, errors=exc.errors, status=400)
        return Redirect("/admin?done=added", status_code=303)

    @get("/users/{user_id:int}")
    async def edit_user_form(self, user_id: FromPath[int]) -> Template:
        """One user's details and roles, with deactivate or reactivate."""
        user = await users.get_user(user_id)
        return _user_form(data=users.UserForm.from_row(user), user=user,
                          held=len(await handover.held_by(user_id)))

    @post("/users/{user_id:int}")
    async def update_user(self, request: Request[Any, Any, Any], user_id: FromPath[int]) -> Template | Redirect:
        """Save changes to details and roles."""
        user = await users.get_user(user_id)
        data = users.UserForm.from_form(await request.form())
        try:
            await users.update_user(user_id=user_id, data=data, actor=_actor(request), now=_now(request))
        except FieldErrors as exc:
            return _user_form(data=data, user=user, errors=exc.errors, status=400)
        return Redirect("/admin?done=saved", status_code=303)

    async def _status_change(self, request: Request[Any, Any, Any], user_id: int, fn: Any,
                             done: str, **kwargs: Any) -> Template | Redirect:
        try:
            await fn(user_id=user_id, actor=_actor(request), now=_now(request), **kwargs)
        except FieldErrors as exc:
            user = await users.get_user(user_id)
            return _user_form(data=users.UserForm.from_row(user), user=user, errors=exc.errors,
                              status=400)
        return Redirect(f"/admin?done={done}", status_code=303)

    @post("/users/{user_id:int}/deactivate")
    async def deactivate(self, request: Request[Any, Any, Any], user_id: FromPath[int]) -> Template | Redirect:
        """End the account's sessions and revoke its API tokens and calendar address; when they
        still hold work on a plan, show it with the handover, so nothing is left unowned."""
        answer = await self._status_change(request, user_id, users.deactivate_user, "deactivated")
        if isinstance(answer, Redirect) and await handover.held_by(user_id):
            return Redirect(f"/people/{user_id}/handover?deactivated=1", status_code=303)
        return answer

    @post("/users/{user_id:int}/reactivate")
    async def reactivate(self, request: Request[Any, Any, Any], user_id: FromPath[int]) -> Template | Redirect:
        """Let the account sign in again."""
        return await self._status_change(request, user_id, users.reactivate_user, "reactivated")

    @post("/users/{user_id:int}/send-link", guards=[require_password_signin])
    async def send_link(self, request: Request[Any, Any, Any], user_id: FromPath[int]) -> Template | Redirect:
        """Email the user a link to choose a password."""
        return await self._status_change(
            request, user_id, users.send_password_link, "sent",
            base_url=request.app.state["settings"].public_base_url,
            windows=request.app.state["send_windows"])


ROUTES = [AdminController]
