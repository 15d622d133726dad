"""Family sessions: the plan link is swapped for a server-side session behind an HttpOnly cookie.

The cookie carries a random id; the database keeps only its SHA-256 with the member it
identifies, so sessions work across every web process and end the moment a lead professional
revokes the member's link (links.end_member_links ends them in the same transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tracker import audit, tokens
from tracker.audit import Actor
from tracker.db import atomic
from tracker.family.links import LinkHolder
from tracker.family.tables import FamilyLink, FamilySession
from tracker.plans.tables import FamilyMember

COOKIE_NAME = "family_session"
# The cookie only needs to reach the family pages.
COOKIE_PATH = "/family"
# Short, because family phones are often shared or watched: after this the member opens
# the link from their text again (the link itself lasts FAMILY_LINK_DAYS).
SESSION_HOURS = 12
SESSION_BYTES = 32


@dataclass(frozen=True)
class FamilyAccess:
    """Who a live family session belongs to: one member, their family and its current plan."""

    session_id: int
    member_id: int
    member_name: str
    language: str
    family_id: int
    plan_id: int

    @property
    def actor(self) -> Actor:
        """Changes through the family page are attributed to this member."""
        return Actor.member(self.member_id, self.member_name, channel="family_link")


async def start_session(*, holder: LinkHolder, now: datetime,
                        link_days: int | None = None) -> tuple[str, datetime]:
    """Swap a live link for a new session; returns the cookie value and when it expires.

    With `link_days` (FAMILY_LINK_DAYS), using the link starts its days afresh: a link ends
    after that many days without use, not that many days after it was made.
    """
    member = await FamilyMember.select(FamilyMember.name).where(
        FamilyMember.id == holder.member_id).first()
    label = member["name"] if member else "family member"
    actor = Actor.member(holder.member_id, label, channel="family_link")
    token, token_hash = tokens.issue(SESSION_BYTES)
    link_expires_at = holder.expires_at
    if link_days is not None:
        link_expires_at = max(link_expires_at, now + timedelta(days=link_days))
    expires_at = min(now + timedelta(hours=SESSION_HOURS), link_expires_at)
    async with atomic():
        session_id = (
            await FamilySession.insert(
                FamilySession(session_hash=token_hash, member=holder.member_id,
                              family=holder.family_id, link=holder.link_id, created_at=now,
                              expires_at=expires_at)
            ).returning(FamilySession.id)
        )[0]["id"]
        await FamilyLink.update({FamilyLink.last_used_at: now,
                                 FamilyLink.expires_at: link_expires_at}).where(
            FamilyLink.id == holder.link_id)
        await audit.record(
            actor=actor, now=now, record_type="family_session", record_id=session_id,
            action="create",
            changes={"member": [None, holder.member_id],
                     "expires_at": [None, expires_at.isoformat()]},
            family_id=holder.family_id,
        )
    return token, expires_at


_RESOLVE_SQL = """
SELECT s.id, s.member, s.family, s.expires_at,
       l.revoked_reason AS link_revoked_reason,
       m.name AS name, m.language AS language, m.safe_to_contact AS safe,
       f.status AS family_status,
       (SELECT p.id FROM plan p WHERE p.family = s.family AND p.status = 'active'
        ORDER BY p.id LIMIT 1) AS plan_id
FROM family_session s
JOIN family_member m ON m.id = s.member
JOIN family f ON f.id = s.family
LEFT JOIN family_link l ON l.id = s.link
WHERE s.session_hash = {} AND s.ended_at IS NULL
"""


def _as_utc(value: datetime | str) -> datetime:
    """A raw timestamp as an aware datetime (SQLite may hand back text for a raw query)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def resolve_session(token: str | None, *, now: datetime) -> FamilyAccess | None:
    """The member behind a session cookie, checked afresh on every request; else None.

    A session works only while it is unexpired and not ended, its member is still safe to
    contact, its link was not revoked (except by a newer link), and the family has a
    current plan.
    """
    if token is None or not tokens.presented(token):
        return None
    # One query for the session, its member, its link, its family and the family's current
    # plan: this runs on every family request.
    rows = await FamilySession.raw(_RESOLVE_SQL, tokens.hash_token(token))
    row = rows[0] if rows else None
    if row is None or _as_utc(row["expires_at"]) <= now or not row["safe"]:
        return None
    if row["link_revoked_reason"] not in (None, "replaced"):
        return None
    if row["family_status"] != "open" or row["plan_id"] is None:
        return None
    plan = {"id": row["plan_id"]}
    return FamilyAccess(session_id=row["id"], member_id=row["member"], member_name=row["name"],
                        language=row["language"] or "en", family_id=row["family"],
                        plan_id=plan["id"])


async def end_session(token: str | None, *, now: datetime, reason: str = "left") -> None:
    """End the session behind a cookie (the member chose to leave); unknown ids are ignored."""
    if token is None or not tokens.presented(token):
        return
    async with atomic():
        await _end(token, reason=reason, now=now, actor=None)


async def _end(token: str, *, reason: str, now: datetime, actor: Actor | None) -> None:
    row = await FamilySession.select(
        FamilySession.id, FamilySession.member, FamilySession.family,
        FamilySession.member.name.as_alias("name"),
    ).where(
        tokens.matches(FamilySession.session_hash, token) & (FamilySession.ended_at.is_null())
    ).first()
    if row is None:
        return
    await FamilySession.update(
        {FamilySession.ended_at: now, FamilySession.ended_reason: reason}
    ).where(FamilySession.id == row["id"])
    await audit.record(
        actor=actor or Actor.member(row["member"], row["name"], channel="family_link"),
        now=now, record_type="family_session", record_id=row["id"], action="update",
        changes={"ended_reason": [None, reason]}, family_id=row["family"],
    )


async def prune_sessions(*, now: datetime, keep: timedelta = timedelta(days=30)) -> int:
    """Delete family sessions that expired or ended more than `keep` ago; returns how many went."""
    gone = await FamilySession.delete().where(
        (FamilySession.expires_at < now - keep)
        | (FamilySession.ended_at.is_not_null() & (FamilySession.ended_at < now - keep))
    ).returning(FamilySession.id)
    return len(gone)
