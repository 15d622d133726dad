"""Admin use-cases for staff accounts: add, change, deactivate, reactivate; every change audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker import audit
from tracker.audit import Actor
from tracker.db import atomic, by_name
from tracker.errors import FieldErrors, NotFound
from tracker.people.accounts import check_password_strength, create_user
from tracker.people.caller import ROLES
from tracker.people.tables import ApiToken, StaffUser
from tracker.staff import calendar
from tracker.staff.sessions import end_user_sessions
from tracker.staff.signin import issue_reset
from tracker.staff.tables import PasswordReset
from tracker.validate import check_email, check_text, fit_columns

EDITABLE = ("name", "email", "role_title", "agency", "phone", "roles")


@dataclass
class UserForm:
    """What the admin typed, kept as typed so a form with errors loses nothing."""

    name: str = ""
    email: str = ""
    role_title: str = ""
    agency: str = ""
    phone: str = ""
    roles: list[str] = field(default_factory=list)
    password: str = ""

    @classmethod
    def from_form(cls, form: Any) -> UserForm:
        """Read a submitted form (a multi-dict: roles may repeat)."""
        def one(key: str, limit: int = 300) -> str:
            return str(form.get(key, "") or "").strip()[:limit]

        roles = form.getall("roles", []) if hasattr(form, "getall") else form.get("roles", [])
        return cls(name=one("name"), email=one("email"), role_title=one("role_title"),
                   agency=one("agency"), phone=one("phone", 40),
                   roles=[str(r) for r in roles if str(r) in ROLES],
                   password=str(form.get("password", "") or "")[:1024])

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> UserForm:
        """The form as it starts when changing an existing user."""
        return cls(name=row["name"], email=row["email"], role_title=row["role_title"] or "",
                   agency=row["agency"] or "", phone=row["phone"] or "",
                   roles=sorted(r for r in (row["roles"] or "").split(",") if r))


async def list_users() -> list[dict[str, Any]]:
    """Everyone, active first, then by name."""
    rows = await StaffUser.select(
        StaffUser.id, StaffUser.name, StaffUser.email, StaffUser.role_title, StaffUser.agency,
        StaffUser.roles, StaffUser.active, StaffUser.password_hash,
    ).order_by(StaffUser.active, ascending=False).order_by(StaffUser.name)
    # Only whether a password is set leaves this function, never the hash.
    return [{**{k: v for k, v in r.items() if k != "password_hash"},
             "no_password": r["password_hash"] is None} for r in rows]


async def get_user(user_id: int) -> dict[str, Any]:
    """One user (without the password hash), or NotFound."""
    row = await StaffUser.select(
        StaffUser.id, StaffUser.name, StaffUser.email, StaffUser.role_title, StaffUser.agency,
        StaffUser.phone, StaffUser.roles, StaffUser.active, StaffUser.created_at,
    ).where(StaffUser.id == user_id).first()
    if row is None:
        raise NotFound(f"user {user_id}")
    return row


def _check_phone(raw: str) -> str | None:
    if not raw:
        return None
    cleaned = raw.replace(" ", "")
    if not (7 <= len(cleaned) <= 20) or not all(c in "0123456789+()-" for c in cleaned):
        raise ValueError("Enter a phone number, like 01632 960 001 or 07700 900 982.")
    return raw


async def add_user(*, data: UserForm, actor: Actor, now: datetime, base_url: str, invite: bool = True) -> int:
    """Add a professional; without an initial password they get an emailed link to choose one.

    `invite=False` (password sign-in turned off) sends no link: they sign in with single sign-on.
    """
    await validate_new_user(data)
    user_id = await create_user(
        email=data.email, name=data.name, roles=data.roles, actor=actor, now=now,
        password=data.password or None, role_title=data.role_title, agency=data.agency,
        phone=data.phone or None)
    if not data.password and invite:
        await issue_reset(user_id=user_id, name=data.name, now=now, base_url=base_url, invite=True)
    return user_id


async def validate_new_user(data: UserForm) -> None:
    """Checks create_user does not make (phone, roles, password) before anything is written."""
    errors: dict[str, str] = {}
    try:
        _check_phone(data.phone)
    except ValueError as exc:
        errors["phone"] = str(exc)
    if not data.roles:
        errors["roles"] = "Choose at least one role."
    fit_columns(StaffUser, {"role_title": data.role_title, "agency": data.agency}, errors)
    if data.password:
        try:
            check_password_strength(data.password)
        except ValueError as exc:
            errors["password"] = str(exc)
    if errors:
        # Add create_user's own field checks so every error shows at once.
        try:
            check_email(data.email)
        except ValueError as exc:
            errors["email"] = str(exc)
        try:
            check_text(data.name, field_label="a name", max_length=200)
        except ValueError as exc:
            errors["name"] = str(exc)
        raise FieldErrors(errors)


async def _active_admins_other_than(user_id: int) -> int:
    rows = await StaffUser.select(StaffUser.id, StaffUser.roles).where(
        (StaffUser.active == True) & (StaffUser.id != user_id)  # noqa: E712
    )
    return sum(1 for r in rows if "admin" in (r["roles"] or "").split(","))


async def update_user(*, user_id: int, data: UserForm, actor: Actor, now: datetime) -> None:
    """Change a user's details and roles; an admin cannot remove the last admin."""
    before = await get_user(user_id)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"role_title": data.role_title, "agency": data.agency}
    try:
        values["email"] = check_email(data.email).lower()
    except ValueError as exc:
        errors["email"] = str(exc)
    try:
        values["name"] = check_text(data.name, field_label="a name", max_length=200)
    except ValueError as exc:
        errors["name"] = str(exc)
    try:
        values["phone"] = _check_phone(data.phone)
    except ValueError as exc:
        errors["phone"] = str(exc)
    if not data.roles:
        errors["roles"] = "Choose at least one role."
    values["roles"] = ",".join(sorted(set(data.roles)))
    fit_columns(StaffUser, values, errors)
    if "email" not in errors and await StaffUser.exists().where(
        (StaffUser.email == values["email"]) & (StaffUser.id != user_id)
    ):
        errors["email"] = "Someone already uses this email address."
    if ("admin" in before["roles"].split(",") and "admin" not in data.roles
            and before["active"] and await _active_admins_other_than(user_id) == 0):
        errors["roles"] = "Keep the admin role: there must always be at least one admin."
    if errors:
        raise FieldErrors(errors)
    changes = audit.diff({k: before[k] for k in EDITABLE}, values)
    if not changes:
        return
    async with atomic():
        await StaffUser.update(by_name(values)).where(StaffUser.id == user_id)
        await audit.record(actor=actor, now=now, record_type="staff_user", record_id=user_id,
                           action="update", changes=changes)


async def deactivate_user(*, user_id: int, actor: Actor, now: datetime) -> None:
    """Stop an account working: its sessions end, API tokens, calendar feed and links are revoked."""
    before = await get_user(user_id)
    if actor.user_id == user_id:
        raise FieldErrors({"active": "You cannot deactivate your own account."})
    if not before["active"]:
        return
    async with atomic():
        await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == user_id)
        ended = await end_user_sessions(user_id, now=now, reason="deactivated")
        tokens = await ApiToken.update({ApiToken.revoked_at: now}).where(
            (ApiToken.user == user_id) & ApiToken.revoked_at.is_null()
        ).returning(ApiToken.id)
        await PasswordReset.update({PasswordReset.used_at: now}).where(
            (PasswordReset.user == user_id) & PasswordReset.used_at.is_null())
        await calendar.revoke_user_feeds(user_id, now=now, actor=actor)
        await audit.record(actor=actor, now=now, record_type="staff_user", record_id=user_id,
                           action="update",
                           changes={"active": [True, False], "sessions_ended": [None, ended],
                                    "api_tokens_revoked": [None, len(tokens)]})
        for token in tokens:
            await audit.record(actor=actor, now=now, record_type="api_token", record_id=token["id"],
                               action="update", changes={"revoked_at": [None, now.isoformat()]})


async def reactivate_user(*, user_id: int, actor: Actor, now: datetime) -> None:
    """Let an account sign in again (revoked tokens and feeds stay revoked: issue new ones)."""
    before = await get_user(user_id)
    if before["active"]:
        return
    async with atomic():
        await StaffUser.update({StaffUser.active: True}).where(StaffUser.id == user_id)
        await audit.record(actor=actor, now=now, record_type="staff_user", record_id=user_id,
                           action="update", changes={"active": [False, True]})


async def send_password_link(*, user_id: int, actor: Actor, now: datetime, base_url: str) -> None:
    """Email an active user a link to choose a password (24 hours, like a new account's)."""
    user = await get_user(user_id)
    if not user["active"]:
        raise FieldErrors({"active": "Reactivate the account first."})
    await issue_reset(user_id=user_id, name=user["name"], now=now, base_url=base_url, invite=True)
    await audit.record(actor=actor, now=now, record_type="staff_user", record_id=user_id,
                       action="update", changes={"password_link": [None, "sent by an admin"]})
