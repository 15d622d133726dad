"""Family plan links: 128+ random bits, only a SHA-256 hash kept, one live link per member."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker import audit, tokens
from tracker.audit import Actor
from tracker.db import atomic
from tracker.errors import FieldErrors, NotFound
from tracker.family.tables import FamilyLink, FamilySession
from tracker.plans.tables import FamilyMember, Plan
from tracker.settings import Settings

TOKEN_BYTES = 24  # 192 random bits, comfortably above the 128 the design asks for


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

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkPolicy:
        """PUBLIC_BASE_URL and FAMILY_LINK_DAYS."""
        return cls(public_base_url=settings.public_base_url, days=settings.family_link_days)

    def url(self, token: str) -> str:
        """The address texted to a family member."""
        return f"{self.public_base_url}/f/{token}"


async def issue_link(*, member_id: int, now: datetime, actor: Actor, policy: LinkPolicy) -> str:
    """A fresh link for a family member (replacing any live one); returns the full URL.

    Refused for a member who is not safe to contact, or whose family has no current plan.
    """
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
    token, token_hash = tokens.issue(TOKEN_BYTES)
    expires_at = now + timedelta(days=policy.days)
    async with atomic():
        await end_member_links(member_id=member_id, reason="replaced", now=now, actor=actor)
        link_id = (
            await FamilyLink.insert(
                FamilyLink(member=member_id, family=member["family"], token_hash=token_hash,
                           created_at=now, expires_at=expires_at)
            ).returning(FamilyLink.id)
        )[0]["id"]
        await audit.record(
            actor=actor, now=now, record_type="family_link", record_id=link_id, action="create",
            changes={"member": [None, member_id], "expires_at": [None, expires_at.isoformat()]},
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


# A fresh link replacing the old one (a nudge texts a new link) must not sign the member out
# mid-visit; every other reason (lead's choice, not safe to contact, plan ended) also ends
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
