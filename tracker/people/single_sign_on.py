"""Who a verified single sign-on is: the staff account an OpenID Connect ID token signs in.

The protocol (PKCE, state, nonce, token verification) is tracker/staff/oidc.py; this module
only decides, from claims already verified, which account that is:

- an account already linked to this subject (`sub`), if it is active;
- else an active account with the token's email that is not linked to another subject (the
  subject is stored then, compare-and-set, with an audit event);
- else, only with `OIDC_CREATE_USERS`, a new account with the professional role only.

Everyone else is refused with a message safe to show (`OidcRefused.message`); the reason for
the log never holds the email or a token.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tracker import audit
from tracker.audit import Actor
from tracker.db import atomic
from tracker.errors import FieldErrors
from tracker.people.accounts import create_user
from tracker.people.caller import Caller
from tracker.people.tables import StaffUser
from tracker.settings import Settings
from tracker.validate import check_email

log = logging.getLogger("tracker.people")

REFUSED = ("We could not sign you in with your organisation's account. "
           "Please try again, or ask your administrator for help.")
NO_ACCOUNT = ("There is no plan tracker account for your organisation's account yet. "
              "Please ask your administrator to add you, then sign in again.")
NO_EMAIL = ("Your organisation's account did not share an email address with the plan tracker. "
            "Please ask your administrator for help.")


class OidcRefused(Exception):
    """Single sign-on did not succeed; `message` is safe to show, `reason` is for the log."""

    def __init__(self, message: str, reason: str, *, status: int = 400) -> None:
        super().__init__(reason)
        self.message = message
        self.reason = reason
        self.status = status


def _caller(row: Mapping[str, Any]) -> Caller:
    return Caller.from_row({"id": row["id"], "name": row["name"], "email": row["email"],
                            "roles": row["roles"]})


_USER_COLUMNS = (StaffUser.id, StaffUser.name, StaffUser.email, StaffUser.roles, StaffUser.active,
                 StaffUser.subject)


async def account_for_claims(claims: Mapping[str, Any], *, settings: Settings, now: datetime) -> Caller:
    """The staff account a verified ID token signs in, or OidcRefused.

    Matched on the stored subject first; else on the email, when that account is active and
    not yet linked to another subject (it is linked now, and audited).
    """
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise OidcRefused(REFUSED, "ID token without a usable sub")
    linked = await StaffUser.select(*_USER_COLUMNS).where(StaffUser.subject == subject).first()
    if linked is not None:
        if not linked["active"]:
            raise OidcRefused(REFUSED, f"account {linked['id']} is not active")
        return _caller(linked)
    raw_email = claims.get(settings.oidc_email_claim)
    if settings.oidc_email_claim == "email" and claims.get("email_verified") is False:
        raise OidcRefused(NO_EMAIL, "the provider says the email is not verified")
    try:
        email = check_email(str(raw_email or "")).lower()
    except ValueError as exc:
        raise OidcRefused(NO_EMAIL, "ID token without a usable email") from exc
    row = await StaffUser.select(*_USER_COLUMNS).where(StaffUser.email == email).first()
    if row is None:
        if not settings.oidc_create_users:
            raise OidcRefused(NO_ACCOUNT, "no account with the token's email", status=403)
        return await _create_account(subject=subject, email=email, claims=claims, now=now)
    if not row["active"]:
        raise OidcRefused(REFUSED, f"account {row['id']} is not active", status=403)
    if row["subject"] is not None and row["subject"] != subject:
        raise OidcRefused(REFUSED, f"account {row['id']} is linked to another subject", status=403)
    await _link(row["id"], row["name"], subject=subject, now=now)
    return _caller(row)


async def _link(user_id: int, name: str, *, subject: str, now: datetime) -> None:
    """Store the subject on an account not yet linked (compare-and-set), with an audit event."""
    async with atomic():
        done = await StaffUser.update({StaffUser.subject: subject}).where(
            (StaffUser.id == user_id) & StaffUser.subject.is_null()
        ).returning(StaffUser.id)
        if not done:
            raise OidcRefused(REFUSED, f"account {user_id} was linked meanwhile", status=403)
        await audit.record(
            actor=Actor.user(user_id, name, channel="web"), now=now, record_type="staff_user",
            record_id=user_id, action="update",
            changes={"single_sign_on": [None, "linked to the organisation's account"]},
        )


async def _create_account(*, subject: str, email: str, claims: Mapping[str, Any], now: datetime) -> Caller:
    """OIDC_CREATE_USERS: a new account for this person, with the professional role only."""
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        name = email.split("@", 1)[0]
    try:
        user_id = await create_user(email=email, name=name.strip(), roles=["professional"],
                                    actor=Actor.system("single sign-on"), now=now)
    except FieldErrors as exc:
        raise OidcRefused(REFUSED, f"account could not be created: {sorted(exc.errors)}") from exc
    await _link(user_id, name, subject=subject, now=now)
    log.info("single sign-on created account %s (professional)", user_id)
    row = await StaffUser.select(*_USER_COLUMNS).where(StaffUser.id == user_id).first()
    assert row is not None
    return _caller(row)
