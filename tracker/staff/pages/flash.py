"""Flash messages for post/redirect/get: a successful form post redirects to a GET address that
carries a short code (``?saved=moved``); the page shows the fixed sentence for that code.

Only these sentences are ever shown (never text from the address), and refreshing the page
shows the notice again without sending the form a second time.
"""

from __future__ import annotations

NOTICES = {
    "moved": "The conference is moved, and everyone invited is told by email. "
             "Each report is now due by the date shown below.",
    "unmoved": "The conference was already at that date and time, so nothing changed.",
    "conference-cancelled": "The conference is cancelled, and everyone invited is told by "
                            "email. Its reminders have stopped.",
    # A key ending "-" also covers the codes that name what was saved (?saved=reply-12).
    "reply-": "Your reply is sent. It is kept with the conversation below.",
    "widened": "Done: who can read these words has changed.",
}


def notice(code: str | None) -> str | None:
    """The sentence for a code from the address, or None for no code or one we do not know."""
    code = code or ""
    return NOTICES.get(code) or NOTICES.get(code.split("-", 1)[0] + "-")
