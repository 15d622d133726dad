"""No names in professionals' email subjects or previews: a family reference and a sign-in link.

Staff emails reach school and health inboxes, shared mailboxes and phone lock screens. Every
template that is a professional's email (it extends _staff_email) is rendered with demo-like
data full of family, adult and child names; none may appear in the subject or in the preview
(the first lines a mail app shows). Names stay behind sign-in.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tracker.clock import LONDON
from tracker.notify.templates import MESSAGES_DIR, Letterhead, render_email

NAMES = ("Taylor", "Rosie", "Alfie", "Jess", "Linda")
LETTERHEAD = Letterhead(authority_name="Northshire Council", base_url="https://tracker.example.org")
WHEN = datetime(2026, 12, 8, 10, 0, tzinfo=LONDON)


def _demo_like_context() -> dict:
    item = {"action_id": 3, "plan_id": 1, "description": "Walk Rosie to school with Alfie each day",
            "family_name": "Rosie's family (Taylor)", "family_ref": "F1", "due_on": date(2026, 12, 8),
            "overdue": True}
    return {
        "family_name": "Rosie's family (Taylor)", "family_ref": "F1", "family_id": 1, "plan_id": 1,
        "member_name": "Jess Taylor", "name": "Jess Taylor", "description": item["description"],
        "body": "Rosie had a good week; Jess is worried about Alfie's cough.",
        "action_id": 3, "conference_id": 2, "conference_at": WHEN, "deadline": date(2026, 12, 4),
        "due_on": date(2026, 12, 8), "today": "2026-12-08", "on_the_day": False, "kind": "review_cp",
        "reports_in": 2, "reports_expected": 3, "asked_for_help": True, "reason": "unreachable",
        "emailed": True, "times": 1, "actions": [item, {**item, "overdue": False}], "overdue_count": 1,
        "week_of": date(2026, 12, 7), "link": "https://tracker.example.org/reset/x", "hours": 48,
        "minutes": 30, "from_name": "Dan Reid", "count": 3, "family_count": 1,
        "next_by": date(2026, 12, 18), "starts_at": WHEN,
        "was_at": datetime(2026, 12, 1, 14, 0, tzinfo=LONDON), "report_due_on": date(2026, 12, 4),
    }


def staff_templates() -> list[str]:
    """Every email template whose text part extends the professionals' layout."""
    return sorted(p.name.removesuffix(".email.txt") for p in MESSAGES_DIR.glob("*.email.txt")
                  if "messages/_staff_email.txt" in p.read_text())


def preview(text: str) -> str:
    """What a mail app shows before opening: the first non-empty lines after the greeting."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and lines[0].rstrip(",") in ("Hello", "Hi"):
        lines = lines[1:]
    return " ".join(lines[:2])


def test_the_scan_covers_the_professionals_emails():
    found = staff_templates()
    for name in ("action_due", "action_overdue", "report_due", "weekly_digest", "family_replied",
                 "chair_summary", "text_undelivered", "family_update_to_lead"):
        assert name in found


@pytest.mark.parametrize("template", staff_templates())
def test_no_name_in_the_subject_or_preview_of_a_staff_email(template):
    email = render_email(template, _demo_like_context(), letterhead=LETTERHEAD)
    for name in NAMES:
        assert name not in email.subject, f"{template} subject names {name}: {email.subject!r}"
        assert name not in preview(email.text), f"{template} preview names {name}: {preview(email.text)!r}"


@pytest.mark.parametrize("template", ["action_before", "action_due", "action_overdue", "chair_summary",
                                      "conference_cancelled", "conference_moved",
                                      "family_message_to_lead", "family_replied", "family_update_to_lead",
                                      "report_due", "text_undelivered", "weekly_digest"])
def test_these_staff_emails_name_nobody_anywhere_and_point_to_sign_in(template):
    email = render_email(template, _demo_like_context(), letterhead=LETTERHEAD)
    for name in NAMES:
        assert name not in email.text and name not in email.html, f"{template} names {name}"
    assert "F1" in email.subject or template == "weekly_digest"
    assert "sign in" in email.text.lower() and "https://tracker.example.org/" in email.text
