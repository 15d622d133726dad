"""Family plan links: one link per member, reused in every text while the plan is current.

Why the token is derived, not stored: a link must be texted again and again (so the links in
older texts still open the plan), yet tokens are kept only as a hash. Each link row keeps a
random 192-bit `link_key`; the token is HMAC-SHA256(SECRET_KEY, "family-link:v1:" + link_key),
and the row keeps the token's SHA-256 for the lookup, as for every other token. So:

- the database alone (a backup, a replica, an injected query) gives neither a token nor a way
  to make one: it lacks SECRET_KEY;
- SECRET_KEY alone gives nothing: it lacks the per-link key;
- no new dependency or key to manage (encrypting the token would need both), and changing
  SECRET_KEY ends every family link at once, which is what a leaked key calls for.

A link ends when the lead stops it, the plan ends, the member is recorded as not safe to
contact, or after FAMILY_LINK_DAYS without use; continuing from it, or texting it to the
member again, starts those days afresh (sliding). Stopping a link is a separate, explicit act
(`revoke_member_links`); the next text then carries a new link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tracker import audit, tokens
from tracker.audit import Actor
from tracker.db import atomic
from tracker.errors import FieldErrors, NotFound
from tracker.family.tables import FamilyLink, FamilySession
from tracker.notify.outbox import enqueue
from tracker.notify.quiet import SendWindows
from tracker.plans.tables import FamilyMember, Plan
from tracker.settings import Settings

TOKEN_BYTES = 24  # 192 random bits in each link's key, comfortably above the 128 asked for


@dataclass(frozen=True)
class LinkHolder:
    """Who a live link belongs to."""

    link_id: int
    member_id: int
    family_id: int
    plan_id: int
    expires_at: datetime


@dataclass(frozen=True)
class LinkPolicy:
    """Where links point and how long they work: the app's (or the command's) settings decide."""

    public_base_url: str
    days: int
    secret: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkPolicy:
        """PUBLIC_BASE_URL, FAMILY_LINK_DAYS and SECRET_KEY (which the tokens are derived with)."""
        return cls(public_base_url=settings.public_base_url, days=settings.family_link_days,
                   secret=settings.secret_key)

    def url(self, token: str) -> str:
        """The address texted to a family member."""
        return f"{self.public_base_url}/f/{token}"

    def token(self, link_key: str) -> str:
        """The link's token: HMAC-SHA256 of its key under the server's secret (43 characters)."""
        if not self.secret:
            raise RuntimeError("family links need SECRET_KEY")
        mac = hmac.new(self.secret.encode(), f"family-link:v1:{link_key}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


async def issue_link(*, member_id: int, now: datetime, actor: Actor, policy: LinkPolicy) -> str:
    """The member's plan link (the live one again, or a new one when none is live): its URL.

    Every text and "Send a new plan link" call this, so each carries the same link and older
    texts keep working. Handing the link out again starts its FAMILY_LINK_DAYS afresh.
    Refused for a member who is not safe to contact, or whose family has no current plan.
    """
    expires_at = now + timedelta(days=policy.days)
    live_url = await _slide_live_link(member_id, now=now, expires_at=expires_at, policy=policy)
    if live_url is not None:
        return live_url
    member = await FamilyMember.select().where(FamilyMember.id == member_id).first()
    if member is None:
        raise NotFound(f"member {member_id}")
    if not member["safe_to_contact"]:
        raise FieldErrors({"member": "This adult is recorded as not safe to contact: no link."})
    plan = await Plan.select(Plan.id).where(
        (Plan.family == member["family"]) & (Plan.status == "active")
    ).first()
    if plan is None:
        raise FieldErrors({"member": "This family has no current plan to link to."})
    async with atomic():
        live = await FamilyLink.select(FamilyLink.id, FamilyLink.link_key, FamilyLink.expires_at).where(
            (FamilyLink.member == member_id) & FamilyLink.revoked_at.is_null()
            & (FamilyLink.expires_at > now) & FamilyLink.link_key.is_not_null()
        ).order_by(FamilyLink.id, ascending=False).first()
        if live is not None:
            if live["expires_at"] < expires_at:
                await FamilyLink.update({FamilyLink.expires_at: expires_at}).where(
                    FamilyLink.id == live["id"])
            return policy.url(policy.token(live["link_key"]))
        return await _new_link(member, now=now, expires_at=expires_at, actor=actor, policy=policy)


async def _slide_live_link(member_id: int, *, now: datetime, expires_at: datetime,
                           policy: LinkPolicy) -> str | None:
    """The member's live link with its days started afresh, in one statement; None otherwise.

    The common case (every text after the first), without a transaction: one guarded UPDATE of
    the member's newest live link (not stopped, not expired) while they are safe to contact and
    their family has a current plan. Anything else (no live link, or a refusal to explain) goes
    the transactional way in issue_link. On SQLite a transaction costs a connection of its own,
    and the four statements it took were most of a text's cost.
    """
    slid = await FamilyLink.raw(
        "UPDATE family_link SET expires_at = CASE WHEN expires_at < {} THEN {} ELSE expires_at END "
        "WHERE revoked_at IS NULL AND expires_at > {} AND link_key IS NOT NULL AND id = ("
        "SELECT l.id FROM family_link AS l JOIN family_member AS m ON m.id = l.member "
        "WHERE l.member = {} AND l.revoked_at IS NULL AND l.expires_at > {} "
        "AND l.link_key IS NOT NULL AND m.safe_to_contact = {} AND EXISTS ("
        "SELECT 1 FROM plan AS p WHERE p.family = m.family AND p.status = 'active') "
        "ORDER BY l.id DESC LIMIT 1) RETURNING link_key",
        expires_at, expires_at, now, member_id, now, True)
    return policy.url(policy.token(slid[0]["link_key"])) if slid else None


async def _new_link(member: dict[str, Any], *, now: datetime, expires_at: datetime, actor: Actor,
                    policy: LinkPolicy) -> str:
    """Inside a transaction: a new link for a member with none live (an expired or older one ends)."""
    link_key = secrets.token_urlsafe(TOKEN_BYTES)
    token = policy.token(link_key)
    await end_member_links(member_id=member["id"], reason="replaced", now=now, actor=actor)
    link_id = (
        await FamilyLink.insert(
            FamilyLink(member=member["id"], family=member["family"],
                       token_hash=tokens.hash_token(token), link_key=link_key,
                       created_at=now, expires_at=expires_at)
        ).returning(FamilyLink.id)
    )[0]["id"]
    await audit.record(
        actor=actor, now=now, record_type="family_link", record_id=link_id, action="create",
        changes={"member": [None, member["id"]], "expires_at": [None, expires_at.isoformat()]},
        family_id=member["family"],
    )
    return policy.url(token)


async def resolve_token(token: str, *, now: datetime) -> LinkHolder | None:
    """The holder of a live (unexpired, unrevoked) link for a current plan, else None."""
    if not tokens.presented(token):
        return None
    row = await FamilyLink.select(
        FamilyLink.id, FamilyLink.member, FamilyLink.family, FamilyLink.expires_at,
        FamilyLink.member.safe_to_contact.as_alias("safe"),
    ).where(
        tokens.matches(FamilyLink.token_hash, token) & (FamilyLink.revoked_at.is_null())
    ).first()
    if row is None or row["expires_at"] <= now or not row["safe"]:
        return None
    plan = await Plan.select(Plan.id).where(
        (Plan.family == row["family"]) & (Plan.status == "active")
        & (Plan.family.status == "open")
    ).first()
    if plan is None:
        return None
    return LinkHolder(link_id=row["id"], member_id=row["member"], family_id=row["family"],
                      plan_id=plan["id"], expires_at=row["expires_at"])


# A new link replacing an expired or older one must not sign the member out mid-visit;
# every other reason (lead's choice, not safe to contact, plan ended) also ends
# the member's open sessions, so a revoked person loses the page at their next click.
KEEPS_SESSIONS = frozenset({"replaced"})


async def end_member_links(*, member_id: int, reason: str, now: datetime, actor: Actor) -> int:
    """Inside a transaction: revoke the member's live links (and, usually, end their sessions).

    Returns how many links and sessions were ended.
    """
    live = await FamilyLink.select(FamilyLink.id, FamilyLink.family).where(
        (FamilyLink.member == member_id) & (FamilyLink.revoked_at.is_null())
    )
    ended = 0
    if reason not in KEEPS_SESSIONS:
        ended = await _end_sessions(member_id=member_id, reason=reason, now=now, actor=actor)
    for row in live:
        await FamilyLink.update(
            {FamilyLink.revoked_at: now, FamilyLink.revoked_reason: reason}
        ).where(FamilyLink.id == row["id"])
        await audit.record(
            actor=actor, now=now, record_type="family_link", record_id=row["id"],
            action="update", changes={"revoked_reason": [None, reason]}, family_id=row["family"],
        )
    return len(live) + ended


async def _end_sessions(*, member_id: int, reason: str, now: datetime, actor: Actor) -> int:
    """Inside a transaction: end every open family session of the member."""
    open_sessions = await FamilySession.select(FamilySession.id, FamilySession.family).where(
        (FamilySession.member == member_id) & (FamilySession.ended_at.is_null())
    )
    for row in open_sessions:
        await FamilySession.update(
            {FamilySession.ended_at: now, FamilySession.ended_reason: reason}
        ).where(FamilySession.id == row["id"])
        await audit.record(
            actor=actor, now=now, record_type="family_session", record_id=row["id"],
            action="update", changes={"ended_reason": [None, reason]}, family_id=row["family"],
        )
    return len(open_sessions)


async def revoke_member_links(*, member_id: int, reason: str, now: datetime, actor: Actor) -> int:
    """Revoke a member's live links and end their sessions (lead's choice, not safe to contact).

    Returns how many links and sessions were ended (0 when there were none: not an error).
    """
    if not await FamilyMember.exists().where(FamilyMember.id == member_id):
        raise NotFound(f"member {member_id}")
    async with atomic():
        return await end_member_links(member_id=member_id, reason=reason, now=now, actor=actor)


async def end_family_links(*, family_id: int, reason: str, now: datetime, actor: Actor) -> int:
    """Inside a transaction: revoke every live link of a family and end its sessions."""
    total = 0
    for m in await FamilyMember.select(FamilyMember.id).where(FamilyMember.family == family_id):
        total += await end_member_links(member_id=m["id"], reason=reason, now=now, actor=actor)
    return total


async def revoke_family_links(*, family_id: int, reason: str, now: datetime, actor: Actor) -> int:
    """Revoke every live link of a family and end its sessions (its plan ended)."""
    async with atomic():
        return await end_family_links(family_id=family_id, reason=reason, now=now, actor=actor)


@dataclass(frozen=True)
class SentLink:
    """The link shown once to the lead, and how it went to the member (None: it did not, why_not)."""

    url: str
    channel: str | None
    why_not: str | None = None


def _channel_for(member: dict[str, Any]) -> tuple[str | None, str | None]:
    """The member's channel for the link, or (None, why not): the dispatcher checks again on sending."""
    if member["preferred_channel"] == "email":
        return ("email", None) if member["email"] else (None, "no_email")
    if member["preferred_channel"] != "sms":
        return None, "no_messages"
    if not member["mobile"]:
        return None, "no_mobile"
    if not member["sms_consent"] or member["opted_out_at"] is not None:
        return None, "no_consent"
    return "sms", None


async def send_member_link(*, member_id: int, now: datetime, actor: Actor, policy: LinkPolicy,
                           windows: SendWindows) -> SentLink:
    """"Send a new plan link": the member's link (the live one) through the outbox, by their channel.

    The outbox row asks the dispatcher to put the link in at send time (it is never stored);
    the URL is returned so the lead can read it out once. FieldErrors as for `issue_link`.
    """
    url = await issue_link(member_id=member_id, now=now, actor=actor, policy=policy)
    member = await FamilyMember.select().where(FamilyMember.id == member_id).first()
    if member is None:  # issue_link found them a moment ago
        raise NotFound(f"member {member_id}")
    channel, why_not = _channel_for(member)
    if channel is not None:
        await enqueue(channel="sms" if channel == "sms" else "email", template="family_link",
                      due_at=now, windows=windows,
                      key=f"family_link:member:{member_id}:{now.isoformat()}",
                      recipient_member_id=member_id,
                      context={"name": member["name"], "needs_link": True})
    return SentLink(url=url, channel=channel, why_not=why_not)
