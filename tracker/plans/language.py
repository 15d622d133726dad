"""Restorative language check: flag phrases that may land as blame or deficit, with a reframe."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_RULES_PATH = Path(__file__).with_name("language_rules.toml")

_REQUIRED_KEYS = ("id", "pattern", "why", "suggestion")
_ALLOWED_KEYS = frozenset(_REQUIRED_KEYS) | {"unless"}


def _compile(rule_id: str, key: str, pattern: str) -> re.Pattern[str]:
    # Whole-match word bounds are added here so rule authors cannot forget them, and
    # lookarounds (not \b) so a pattern may start or end with punctuation.
    try:
        compiled = re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"language rule {rule_id!r}: {key} is not a valid regex: {exc}") from exc
    if compiled.fullmatch(""):
        raise ValueError(f"language rule {rule_id!r}: {key} matches empty text")
    return compiled


@dataclass(frozen=True)
class LanguageRule:
    """One phrase pattern that may land as blame, why, and a restorative reframe."""

    id: str
    pattern: str
    why: str
    suggestion: str
    unless: str | None = None
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)
    unless_regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Compiled once here so check_text does no per-call compilation; frozen dataclasses
        # need object.__setattr__ for derived fields.
        object.__setattr__(self, "regex", _compile(self.id, "pattern", self.pattern))
        unless = _compile(self.id, "unless", self.unless) if self.unless else None
        object.__setattr__(self, "unless_regex", unless)


@dataclass(frozen=True)
class Finding:
    """A flagged phrase: its offsets into the checked text, why, and a suggestion."""

    start: int
    end: int
    phrase: str
    why: str
    suggestion: str
    rule_id: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view for templates and APIs."""
        return {
            "start": self.start,
            "end": self.end,
            "phrase": self.phrase,
            "why": self.why,
            "suggestion": self.suggestion,
            "rule_id": self.rule_id,
        }


def _non_blank_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _rule_from_table(index: int, table: Any) -> LanguageRule:
    if not isinstance(table, dict):
        raise ValueError(f"language rule #{index + 1} is not a table")
    name = table.get("id") if isinstance(table.get("id"), str) else f"#{index + 1}"
    missing = [key for key in _REQUIRED_KEYS if not _non_blank_str(table.get(key))]
    if missing:
        raise ValueError(f"language rule {name!r} is missing {', '.join(missing)}")
    unknown = sorted(set(table) - _ALLOWED_KEYS)
    if unknown:
        raise ValueError(f"language rule {name!r} has unknown keys: {', '.join(unknown)}")
    unless = table.get("unless")
    if unless is not None and not _non_blank_str(unless):
        raise ValueError(f"language rule {name!r}: unless must be a non-empty string")
    return LanguageRule(
        id=table["id"],
        pattern=table["pattern"],
        why=table["why"],
        suggestion=table["suggestion"],
        unless=unless,
    )


def load_rules(path: Path | None = None) -> tuple[LanguageRule, ...]:
    """Load and validate rules from a TOML file (default: the bundled language_rules.toml).

    Raises ValueError naming the rule when a rule lacks id, pattern, why or suggestion,
    has an unknown key, repeats an id, or has a regex that does not compile.
    """
    source = path or DEFAULT_RULES_PATH
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: not valid TOML: {exc}") from exc
    tables = data.get("rule")
    if not isinstance(tables, list) or not tables:
        raise ValueError(f"{source}: expected one or more [[rule]] tables")
    rules = tuple(_rule_from_table(i, table) for i, table in enumerate(tables))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise ValueError(f"language rule {rule.id!r} appears more than once")
        seen.add(rule.id)
    return rules


@lru_cache(maxsize=1)
def _default_rules() -> tuple[LanguageRule, ...]:
    return load_rules()


def _excused(rule: LanguageRule, text: str, start: int, end: int) -> bool:
    if rule.unless_regex is None:
        return False
    return any(m.start() < end and start < m.end() for m in rule.unless_regex.finditer(text))


def check_text(text: str, rules: Sequence[LanguageRule] | None = None) -> list[Finding]:
    """Find phrases that may land as blame, sorted by start and never overlapping.

    When matches from different rules overlap, the longest wins (ties: the earlier start,
    then the earlier rule). A match is dropped when the rule's `unless` regex matches text
    overlapping it. Offsets are str indexes into `text`, so text[start:end] == phrase.
    """
    active = _default_rules() if rules is None else rules
    candidates: list[tuple[int, int, int, LanguageRule]] = []
    for order, rule in enumerate(active):
        for match in rule.regex.finditer(text):
            start, end = match.span()
            if end > start and not _excused(rule, text, start, end):
                candidates.append((start, end, order, rule))
    candidates.sort(key=lambda c: (c[0] - c[1], c[0], c[2]))
    chosen: list[tuple[int, int, int, LanguageRule]] = []
    for cand in candidates:
        if all(cand[1] <= kept[0] or kept[1] <= cand[0] for kept in chosen):
            chosen.append(cand)
    chosen.sort(key=lambda c: c[0])
    return [
        Finding(
            start=start,
            end=end,
            phrase=text[start:end],
            why=rule.why,
            suggestion=rule.suggestion,
            rule_id=rule.id,
        )
        for start, end, _, rule in chosen
    ]
