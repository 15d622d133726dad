"""Telling the people invited to a conference, and its chair, that it moved or is not going ahead.

The staff pages and the JSON API pass `email_teller(...)` to the plan service's
`move_conference` / `cancel_conference`, which call it inside the change's transaction: the
email commits, or not, with the change. The family is named by its reference, never its name,
and a cancellation's reason stays behind sign-in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tracker.notify.outbox import enqueue
from tracker.notify.quiet import SendWindows
from tracker.plans.conferences import Tell
from tracker.vocabulary import family_ref


def email_teller(windows: SendWindows, now: datetime) -> Tell:
    """Queue a `conference_moved` or `conference_cancelled` email for one professional."""

    async def tell(user_id: int, news: dict[str, Any]) -> None:
        template = f"conference_{news['news']}"
        context = {"conference_id": news["conference_id"], "family_id": news["family_id"],
                   "family_ref": family_ref(news["family_id"]), "was_at": news["was_at"]}
        if news["news"] == "moved":
            context.update(conference_at=news["conference_at"],
                           report_due_on=news["report_due_on"])
        await enqueue(channel="email", template=template, due_at=now, windows=windows,
                      key=(f"{template}:conference:{news['conference_id']}:user:{user_id}:"
                           f"{news.get('conference_at', news['was_at']).isoformat()}:"
                           f"{now.isoformat()}"),
                      context=context, recipient_user_id=user_id)

    return tell
