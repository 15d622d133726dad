"""Telling the people invited to a conference, its chair and the family that it moved or is not
going ahead.

The staff pages and the JSON API pass `conference_teller(...)` to the plan service's
`move_conference` / `cancel_conference` (and `update_conference`, for a new date), which call it
inside the change's transaction: the messages commit, or not, with the change.

Professionals get an email naming the family by its reference, never its name. The family leads
its own meeting, so each adult in it who may be messaged is told too, by the channel they chose
(a text or an email), with their plan link. What the family is sent names no child, concern,
agency or family, and never the reason for a cancellation: a text may be read on a shared phone
or a lock screen, and the reason is for the lead professional to talk through with them. The
dispatcher checks again when it sends (consent and safety can change), keeps texts to quiet
hours and the member's weekly cap, and puts the plan link in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tracker.notify.outbox import enqueue
from tracker.notify.quiet import SendWindows
from tracker.notify.sending import member_channel
from tracker.plans.conferences import Tell
from tracker.plans.tables import FamilyMember, Plan
from tracker.vocabulary import family_ref

# Only these of the news go into a family member's message (and its outbox row): the dates.
FAMILY_NEWS = ("was_at", "conference_at")


class ConferenceTeller:
    """Queues the emails to professionals and the messages to the family about one change."""

    def __init__(self, windows: SendWindows, now: datetime) -> None:
        self.windows = windows
        self.now = now

    async def professional(self, user_id: int, news: dict[str, Any]) -> None:
        """Queue a `conference_moved` or `conference_cancelled` email for one professional."""
        template = f"conference_{news['news']}"
        context = {"conference_id": news["conference_id"], "family_id": news["family_id"],
                   "family_ref": family_ref(news["family_id"]), "was_at": news["was_at"]}
        if news["news"] == "moved":
            context.update(conference_at=news["conference_at"],
                           report_due_on=news["report_due_on"])
        await enqueue(channel="email", template=template, due_at=self.now, windows=self.windows,
                      key=(f"{template}:conference:{news['conference_id']}:user:{user_id}:"
                           f"{news.get('conference_at', news['was_at']).isoformat()}:"
                           f"{self.now.isoformat()}"),
                      context=context, recipient_user_id=user_id)

    async def family(self, news: dict[str, Any]) -> None:
        """Queue a `member_conference_moved` or `member_conference_cancelled` message for each
        adult in the family who may be messaged, by the channel they chose.

        Nobody is queued when the family has no current plan: the message is the way to the
        plan page, and without a plan there is no page to send them to. The key names the
        change (the conference, where it was and is, and when it changed), so a second call for
        the same change queues nothing, and moving it back and forth tells them each time.
        """
        family_id = news["family_id"]
        if not await Plan.exists().where((Plan.family == family_id) & (Plan.status == "active")):
            return
        members = await FamilyMember.select(
            FamilyMember.id, FamilyMember.name, FamilyMember.preferred_channel,
            FamilyMember.sms_consent, FamilyMember.safe_to_contact, FamilyMember.opted_out_at,
            FamilyMember.mobile, FamilyMember.email,
        ).where(FamilyMember.family == family_id).order_by(FamilyMember.id)
        template = f"member_conference_{news['news']}"
        dates = {name: news[name] for name in FAMILY_NEWS if name in news}
        change = ":".join(value.isoformat() for value in dates.values())
        for member in members:
            channel = member_channel(member)
            if channel is None:
                continue
            await enqueue(
                channel="sms" if channel == "sms" else "email", template=template,
                due_at=self.now, windows=self.windows,
                key=(f"{template}:conference:{news['conference_id']}:member:{member['id']}:"
                     f"{change}:{self.now.isoformat()}"),
                recipient_member_id=member["id"],
                context={"name": member["name"], "needs_link": True, **dates})


def conference_teller(windows: SendWindows, now: datetime) -> Tell:
    """Who is told of a move or a cancellation made at `now` (see `ConferenceTeller`)."""
    return ConferenceTeller(windows, now)
