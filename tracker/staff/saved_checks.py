"""Checks on save: the wording checks run on every text a page has just saved, and the page
shows what they found (never blocking the save). Family-facing fields also get the
plain-English check and "how the family will read it". One helper for every page, so it
moves with the pages; the template is partials/saved_checks.html."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tracker.plans.common import PlanPolicy

SavedField = tuple[str, str, bool]
"""(label, text as saved, family-facing?)"""


def _segments(text: str, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The text in pieces, each flagged piece with its finding (overlaps: the first wins).

    A "tone" finding covers a whole sentence, so it is shown only where no narrower finding
    (a rule's phrase, jargon, a plain-English point) overlaps it."""
    narrow = [f for f in findings if f.get("construct") != "tone"]
    shown = narrow + [f for f in findings if f.get("construct") == "tone" and not any(
        n["start"] < f["end"] and f["start"] < n["end"] for n in narrow)]
    pieces: list[dict[str, Any]] = []
    at = 0
    for finding in sorted(shown, key=lambda f: (f["start"], -f["end"])):
        if finding["start"] < at or finding["end"] <= finding["start"]:
            continue
        if finding["start"] > at:
            pieces.append({"text": text[at:finding["start"]], "finding": None})
        pieces.append({"text": text[finding["start"]:finding["end"]], "finding": finding})
        at = finding["end"]
    if at < len(text):
        pieces.append({"text": text[at:], "finding": None})
    return pieces


def saved_checks(fields: Iterable[SavedField], policy: PlanPolicy) -> list[dict[str, Any]]:
    """The findings for each saved field that has any, in the order given.

    Each entry: label, text, family_facing, findings (every kind for a family-facing field,
    restorative otherwise), and for a family-facing field its reading_age and the text in
    segments for "how the family will read it".
    """
    checked = []
    for label, text, family_facing in fields:
        if not (text or "").strip():
            continue
        result = policy.check_wording(text, "family" if family_facing else "professional")
        if not result["findings"]:
            continue
        entry: dict[str, Any] = {"label": label, "text": text, "family_facing": family_facing,
                                 "findings": result["findings"]}
        if family_facing:
            entry["reading_age"] = result.get("reading_age")
            entry["segments"] = _segments(text, result["findings"])
        checked.append(entry)
    return checked


def action_fields(action: dict[str, Any]) -> list[SavedField]:
    """An action's saved text: all of it is on the family's page."""
    return [("What will be done", action.get("description") or "", True),
            ("How we will know", action.get("success_measure") or "", True),
            ("Help offered", action.get("support_offered") or "", True)]


def outcome_fields(outcome: dict[str, Any]) -> list[SavedField]:
    """An outcome's saved text: what better looks like and how everyone will know."""
    return [("What better looks like", outcome.get("statement") or "", True),
            ("How everyone will know", outcome.get("measure") or "", True)]


def plan_saved_checks(plan: dict[str, Any], saved: str | None,
                      policy: PlanPolicy) -> list[dict[str, Any]]:
    """Checks for the outcome or action a plan page has just saved (?saved=action-12)."""
    kind, _, ident = (saved or "").partition("-")
    for outcome in plan.get("outcomes", []):
        if kind == "outcome" and str(outcome["id"]) == ident:
            return saved_checks(outcome_fields(outcome), policy)
        for action in outcome.get("actions", []):
            if kind == "action" and str(action["id"]) == ident:
                return saved_checks(action_fields(action), policy)
    return []


def record_saved_checks(conference: dict[str, Any], steps: Iterable[tuple[str, str]],
                        policy: PlanPolicy) -> list[dict[str, Any]]:
    """Checks for a conference record just saved: each step, for professionals' eyes."""
    return saved_checks(((label, conference.get(name) or "", False) for name, label in steps), policy)
