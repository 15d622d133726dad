"""What a send needs around the dispatcher's loop: who a message goes to, pacing, the tick's report.

`recipient_for` decides at send time whether a row may go and to which address (things change
between queueing and sending: consent, safety, an account closed); `Throttle` and `backoff` pace
the provider calls; `TickReport` is what a tick did.
"""

from __future__ import annotations

import random
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tracker.clock import Clock
from tracker.people.tables import StaffUser
from tracker.plans.tables import FamilyMember

MAX_BACKOFF = timedelta(hours=6)
Sleeper = Callable[[float], Awaitable[None]]


@dataclass
class TickReport:
    """What one tick did, for logs and `tracker nudges dispatch --once`."""

    now: datetime
    materialised: int = 0
    cancelled: int = 0
    released: int = 0
    unknown: int = 0
    claimed: int = 0
    sent: int = 0
    deferred: int = 0
    retrying: int = 0
    failed: int = 0
    suppressed: int = 0
    skipped: int = 0  # actions or conferences whose nudges could not be worked out
    errors: int = 0  # outbox rows set aside after an unexpected error
    problems: list[str] = field(default_factory=list)  # phases that failed (the heartbeat's)
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line of counts."""
        return (f"tick at {self.now.isoformat()}: {self.materialised} new, {self.cancelled} cancelled, "
                f"{self.claimed} claimed, {self.sent} sent, {self.deferred} deferred (quiet hours), "
                f"{self.retrying} to retry, {self.failed} failed, {self.suppressed} suppressed, "
                f"{self.unknown} unknown, {self.released} released, {self.skipped} skipped, "
                f"{self.errors} set aside")


class Throttle:
    """At most `rate` sends a second per sender, timed by the injected clock and sleeper.

    Per process: with several dispatcher instances the provider's own limit (HTTP 429) is the
    backstop, and a 429 is retried with backoff.
    """

    def __init__(self, rate: float, clock: Clock, sleep: Sleeper) -> None:
        self.interval = timedelta(seconds=1 / rate) if rate > 0 else timedelta(0)
        self.clock = clock
        self.sleep = sleep
        self._next: dict[str, datetime] = {}
        # The latest slot already slept up to. An injected clock need not move while we sleep
        # (a fixed clock in tests, a clock read once per tick): without this, each send after a
        # sleep would be measured from the old "now" and the sleeps would add up, the nth send
        # waiting n intervals.
        self._reached: datetime | None = None

    async def wait(self, sender: str) -> None:
        """Sleep until this sender may send again, then book its next slot."""
        if not self.interval:
            return
        # The slot is booked before sleeping, so concurrent sends to one sender queue up.
        now = self.clock.now()
        if self._reached is not None and self._reached > now:
            now = self._reached
        ready = max(self._next.get(sender, now), now)
        self._next[sender] = ready + self.interval
        if ready > now:
            await self.sleep((ready - now).total_seconds())
            if self._reached is None or ready > self._reached:
                self._reached = ready


def backoff(attempts: int, base_seconds: float, rng: random.Random) -> timedelta:
    """Exponential backoff with jitter: base × 2^(attempts-1), scaled by a random 0.5–1.5."""
    delay = timedelta(seconds=base_seconds * (2 ** max(attempts - 1, 0)))
    return min(delay, MAX_BACKOFF) * (0.5 + rng.random())


@dataclass(frozen=True)
class Recipient:
    """Where a message goes, once the recipient has been found suitable."""

    address: str
    name: str
    member: dict[str, Any] | None = None


class Suppressed(Exception):
    """This recipient must not get this message; the reason is recorded on the row."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def member_refusal(m: Mapping[str, Any], channel: str) -> str | None:
    """Why this family member must not be sent a message on `channel` now; None when they may.

    One rule for the dispatcher (at send time) and for whoever chooses whom to queue a message
    for: safe to contact, not opted out, a channel they chose, consent to texts, an address.
    """
    if not m["safe_to_contact"]:
        return "not_safe_to_contact"
    if m["opted_out_at"] is not None:
        return "opted_out"
    if m["preferred_channel"] == "none":
        return "prefers_no_messages"
    if channel == "sms":
        if not m["sms_consent"]:
            return "no_sms_consent"
        return None if m["mobile"] else "no_mobile"
    return None if m["email"] else "no_email"


def member_channel(m: Mapping[str, Any]) -> str | None:
    """The channel the member chose ("sms" or "email"), when they may be messaged on it now."""
    channel = "email" if m["preferred_channel"] == "email" else "sms"
    return None if member_refusal(m, channel) else channel


async def recipient_for(row: dict[str, Any]) -> Recipient:
    """The address to use, or Suppressed with why (checked at send time: things change)."""
    channel = row["channel"]
    if row["recipient_member"] is not None:
        m = await FamilyMember.select().where(FamilyMember.id == row["recipient_member"]).first()
        if m is None:
            raise Suppressed("recipient_gone")
        if (why := member_refusal(m, channel)) is not None:
            raise Suppressed(why)
        return Recipient(m["mobile"] if channel == "sms" else m["email"], m["name"], m)
    u = await StaffUser.select().where(StaffUser.id == row["recipient_user"]).first()
    if u is None or not u["active"]:
        raise Suppressed("inactive_user")
    if channel == "sms":
        # A professional's texts are their own choice (their profile), to their work mobile.
        if u["nudge_by"] not in ("sms", "both"):
            raise Suppressed("prefers_email")
        if not u["mobile"]:
            raise Suppressed("no_mobile")
        return Recipient(u["mobile"], u["name"])
    if not u["email"]:
        raise Suppressed("no_email")
    return Recipient(u["email"], u["name"])


def mask_links(text: str, base_url: str) -> str:
    """The text with family link tokens hidden, so the outbox never stores a usable link."""
    return re.sub(re.escape(base_url) + r"/f/[A-Za-z0-9_\-]+", base_url + "/f/…", text)
