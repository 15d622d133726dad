"""A family member's messages, paced: at most MEMBER_TEXTS_PER_WEEK texts in any rolling 7 days,
and nothing on the quiet days (24 December to 1 January by default), unless something falls due
that day (a step due today, a review meeting today or tomorrow): that message goes, and counts
in the member's week. A held message waits (pending, `reason` "held: ..."); a message queued
directly (a reply, a link, a copy of the plan) always goes later. A rule-made nudge still held
when its window closes is replaced by the rules' next one in the series (overdue after due, next
week's check-in), so a text never goes out with stale words ("due Mon 14 Dec" a week later).

Why at send time, in the dispatcher, and not when the rules materialise nudges: every message to
a member passes through the dispatcher's send step, whoever queued it (the rules, `enqueue()` from
a page, a reply, another engineer's new nudge kind), so nothing can go round the cap; and what is
counted is what was really handed to the provider (`handed_at`), not what was planned, so
cancelled, suppressed and failed rows never use up a member's week. Several dispatchers may run:
the count reads the committed rows of the others, and a row is handed over only after its own
`handed_at` is committed, so two instances can at worst each send one over the cap in the same
second; the next tick sees both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tracker.notify.tables import Outbox
from tracker.settings import Settings
from tracker.vocabulary import LONDON

WEEK = timedelta(days=7)

# Messages a member has just asked for (replying LINK, "send me a copy" of their plan): answers,
# not nudges, so never held.
ANSWERS_TO_MEMBER = frozenset({"family_link_asked", "our_plan_copy"})


def parse_quiet_days(value: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """'12-24..01-01' as ((12, 24), (1, 1)); '' as None."""
    if not value.strip():
        return None
    first, _, last = value.partition("..")
    a = tuple(int(x) for x in first.strip().split("-"))
    b = tuple(int(x) for x in last.strip().split("-"))
    return (a[0], a[1]), (b[0], b[1])


@dataclass(frozen=True)
class MemberPacing:
    """How often a family member may be messaged (from the settings)."""

    texts_per_week: int = 2
    quiet_days: tuple[tuple[int, int], tuple[int, int]] | None = ((12, 24), (1, 1))
    tz: ZoneInfo = LONDON

    @classmethod
    def from_settings(cls, settings: Settings) -> MemberPacing:
        return cls(texts_per_week=settings.member_texts_per_week,
                   quiet_days=parse_quiet_days(settings.quiet_days))

    def is_quiet_day(self, day: date) -> bool:
        """True on a quiet day (the span may run over the new year)."""
        if self.quiet_days is None:
            return False
        first, last = self.quiet_days
        md = (day.month, day.day)
        if first <= last:
            return first <= md <= last
        return md >= first or md <= last

    def after_quiet_days(self, instant: datetime) -> datetime:
        """The start of the first local day after the quiet days that `instant` is in."""
        day = instant.astimezone(self.tz).date()
        for _ in range(370):
            if not self.is_quiet_day(day):
                break
            day += timedelta(days=1)
        return datetime.combine(day, time(0), self.tz).astimezone(instant.tzinfo)


def falls_due_on(row: dict[str, Any], day: date, tz: ZoneInfo = LONDON) -> bool:
    """True when the message is about something that falls due that very day: a step due that
    day, or a meeting that day or the next: its "tomorrow" reminder, or a meeting moved to or
    from then, or cancelled (`was_at`), which the family must hear of before they set out."""
    context = json.loads(row["context"] or "{}")
    if context.get("due_on") and str(context["due_on"])[:10] == day.isoformat():
        return True
    for name in ("conference_at", "was_at"):
        if context.get(name):
            meeting = datetime.fromisoformat(str(context[name])).astimezone(tz).date()
            if day <= meeting <= day + timedelta(days=1):
                return True
    return False


def is_paced(row: dict[str, Any]) -> bool:
    """Messages to a family member are paced, except answers they have just asked for."""
    return row["recipient_member"] is not None and row["template"] not in ANSWERS_TO_MEMBER


async def texts_free_at(member_id: int, now: datetime, cap: int) -> datetime | None:
    """None when the member may have a text now, else when the rolling week next allows one."""
    handed = await Outbox.select(Outbox.handed_at).where(
        (Outbox.recipient_member == member_id) & (Outbox.channel == "sms")
        & Outbox.handed_at.is_not_null() & (Outbox.handed_at > now - WEEK)
    ).order_by(Outbox.handed_at)
    if len(handed) < cap:
        return None
    # The oldest text that must drop out of the window before another may go.
    free: datetime = handed[len(handed) - cap]["handed_at"] + WEEK
    return free if free > now else None


def may_be_capped(row: dict[str, Any], now: datetime, pacing: MemberPacing) -> bool:
    """True when the member's weekly cap of texts could hold this row (so two such rows to one
    member must not be checked at the same moment: each counts the texts handed before it)."""
    return (row["channel"] == "sms" and is_paced(row)
            and not falls_due_on(row, now.astimezone(pacing.tz).date(), pacing.tz))


async def held_until(row: dict[str, Any], now: datetime, pacing: MemberPacing) -> tuple[datetime, str] | None:
    """When a claimed row to a member may go instead of now, and why; None when it may go now."""
    if not is_paced(row):
        return None
    today = now.astimezone(pacing.tz).date()
    if falls_due_on(row, today, pacing.tz):
        # The one message a member needs on the day is never held; it still counts in their week.
        return None
    if pacing.is_quiet_day(today):
        return pacing.after_quiet_days(now), "quiet days"
    if row["channel"] == "sms":
        free = await texts_free_at(int(row["recipient_member"]), now, pacing.texts_per_week)
        if free is not None:
            # Re-checked when it is claimed again: quiet days may hold it further.
            return free, f"at most {pacing.texts_per_week} texts a week"
    return None
