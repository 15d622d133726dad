"""Plain English for what a family member will read: jargon, reading age, long sentences,
and talk about the reader in the third person. Pure: standard library, the language check
and the data given (``plain_english_terms.toml``, format documented at its top).

Reading age is the Flesch-Kincaid grade level plus five (the usual conversion from a US
school grade to a UK reading age), counted over the whole text with a vowel-group syllable
counter; names, days, months and numbers count as one syllable (see _sentence_syllables).
The target for family-facing text is 9 or under.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from tracker.plans.language import MATCH_ON, Finding, LanguageRule, Tone, check_text

DEFAULT_TERMS_PATH = Path(__file__).with_name("plain_english_terms.toml")

READING_AGE_TARGET = 9
"""A family-facing text should be readable by a nine-year-old."""

MIN_WORDS_FOR_READING_AGE = 10
"""Readability formulas mean little on a few words; shorter texts get no reading-age finding
(jargon and the other checks still apply)."""

LONG_SENTENCE_WORDS = 25
"""GOV.UK's style guide: keep sentences to 25 words or fewer."""

AUDIENCES = ("professional", "family")

_TERM_KEYS = frozenset({"id", "pattern", "plain", "why", "unless", "on"})
_DEFAULT_WHY = "Professional jargon: a family member may not know what it means, or may feel talked about."

_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")
_VOWELS = re.compile(r"[aeiouy]+")

# Professional shorthand that names the reader in the third person: "Mum to engage",
# "Dad will ...". A family member reads their own plan, so "you" (or "we agreed you will")
# speaks to them.
_ROLE = r"(?:mum|mummy|mam|mother|dad|daddy|father|parents?|carers?|the (?:mother|father|parents?|carers?))"
_THIRD_PERSON = re.compile(
    rf"(?:(?<=^)|(?<=[.!?:;\n]\s)|(?<=[.!?:;\n])|(?<=\band\s)){_ROLE}(?:\s+and\s+{_ROLE})?"
    rf"(?=\s+(?:to|will|must|should|shall|needs?|has|have|is|are|engages|attends|takes|keeps|"
    r"makes|works|accepts|continues|agrees|can|cannot|may|would|could|[a-z]+s)\b)",
    re.IGNORECASE,
)


def _term_rule(index: int, table: Any, source: Path) -> LanguageRule:
    if not isinstance(table, dict):
        raise ValueError(f"{source}: term #{index + 1} is not a table")
    name = table.get("id") if isinstance(table.get("id"), str) else f"#{index + 1}"
    missing = [k for k in ("id", "pattern", "plain") if not isinstance(table.get(k), str)
               or not table[k].strip()]
    if missing:
        raise ValueError(f"plain-English term {name!r} is missing {', '.join(missing)}")
    unknown = sorted(set(table) - _TERM_KEYS)
    if unknown:
        raise ValueError(f"plain-English term {name!r} has unknown keys: {', '.join(unknown)}")
    on = table.get("on", "text")
    if on not in MATCH_ON:
        raise ValueError(f"plain-English term {name!r}: on must be one of {', '.join(MATCH_ON)}")
    return LanguageRule(
        id=table["id"], pattern=table["pattern"], on=on, unless=table.get("unless"),
        why=table.get("why") or _DEFAULT_WHY,
        suggestion=f"Consider plain words: {table['plain']}.",
        construct="jargon",
    )


def load_terms(path: Path | None = None) -> tuple[LanguageRule, ...]:
    """Load and validate the jargon list (default: the bundled plain_english_terms.toml).

    Raises ValueError naming the term when one lacks id, pattern or plain, has an unknown
    key, repeats an id, or has a regex that does not compile.
    """
    source = path or DEFAULT_TERMS_PATH
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: not valid TOML: {exc}") from exc
    tables = data.get("term")
    if not isinstance(tables, list) or not tables:
        raise ValueError(f"{source}: expected one or more [[term]] tables")
    terms = tuple(_term_rule(i, table, source) for i, table in enumerate(tables))
    ids = [t.id for t in terms]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"plain-English term {repeated[0]!r} appears more than once")
    return terms


@lru_cache(maxsize=1)
def _default_terms() -> tuple[LanguageRule, ...]:
    return load_terms()


def syllables(word: str) -> int:
    """Syllables in one English word, by vowel groups with the usual silent-e adjustments."""
    w = word.lower().strip("'’-")
    if not w:
        return 0
    if w[0].isdigit():
        return 1  # a number or a time ("20", "8.40am") is read at a glance
    count = len(_VOWELS.findall(w))
    if (w.endswith("e") and len(w) > 2 and w[-2] not in "aeiouyl" and count > 1):
        count -= 1
    elif w.endswith(("es", "ed")) and count > 1 and not w.endswith(("tes", "des", "ted", "ded", "ies")):
        count -= 1
    return max(1, count)


def sentences(text: str) -> list[tuple[int, int, list[str]]]:
    """(start, end, words) of each sentence; a line without a full stop is a sentence too."""
    out = []
    for match in _SENTENCE.finditer(text):
        words = _WORD.findall(match.group())
        if words:
            start = match.start() + (len(match.group()) - len(match.group().lstrip()))
            out.append((start, match.start() + len(match.group().rstrip()), words))
    return out


def _grade(words: int, sentence_count: int, syllable_count: int) -> float:
    return 0.39 * words / sentence_count + 11.8 * syllable_count / words - 15.59


def _sentence_syllables(words: list[str]) -> int:
    # A name, a day or a month (capitalised after the first word) counts as one syllable: a
    # family reads "Alfie", "Thursday" or "Westfield" at a glance (Dale-Chall likewise
    # treats proper names as familiar words). Numbers and times count as one too.
    return sum(1 if i and w[:1].isupper() else syllables(w) for i, w in enumerate(words))


def reading_age(text: str) -> int | None:
    """The UK reading age of a text (Flesch-Kincaid grade + 5, at least 5); None if no words."""
    parts = sentences(text)
    words = sum(len(ws) for _, _, ws in parts)
    if not words:
        return None
    grade = _grade(words, len(parts), sum(_sentence_syllables(ws) for _, _, ws in parts))
    return max(5, round(grade + 5))


def plain_english_findings(text: str) -> list[Finding]:
    """Long sentences, a reading age above the target, and the reader in the third person."""
    findings: list[Finding] = []
    parts = sentences(text)
    for start, end, words in parts:
        if len(words) > LONG_SENTENCE_WORDS:
            findings.append(Finding(
                start=start, end=end, phrase=text[start:end], rule_id="long_sentence",
                kind="plain_english", construct="plain_english",
                why=f"A long sentence ({len(words)} words) is hard to follow; GOV.UK advises "
                    f"{LONG_SENTENCE_WORDS} words or fewer.",
                suggestion="Consider splitting it: one idea in each sentence. What is the one "
                           "thing the family needs to know here?"))
    total = sum(len(ws) for _, _, ws in parts)
    age = reading_age(text)
    if age is not None and age > READING_AGE_TARGET and total >= MIN_WORDS_FOR_READING_AGE:
        # Point at the hardest sentence, so the writer knows where to start.
        start, end, _ = max(parts, key=lambda p: _grade(len(p[2]), 1, _sentence_syllables(p[2])))
        findings.append(Finding(
            start=start, end=end, phrase=text[start:end], rule_id="reading_age",
            kind="plain_english", construct="plain_english",
            why=f"Reading age about {age}; for families aim for {READING_AGE_TARGET} or under. "
                "This sentence is the hardest to read.",
            suggestion="Consider shorter sentences and everyday words: how would you say this "
                       "to the family across the kitchen table?"))
    for match in _THIRD_PERSON.finditer(text):
        findings.append(Finding(
            start=match.start(), end=match.end(), phrase=match.group(), rule_id="third_person",
            kind="plain_english", construct="plain_english",
            why="Talks about the reader in the third person: the mum or dad reading their plan "
                "is the person named.",
            suggestion="Consider speaking to them: “You will …”, or “We agreed that you "
                       "will …”. Would you say it this way to their face?"))
    return sorted(findings, key=lambda f: (f.start, f.end))


def jargon_findings(text: str, terms: Sequence[LanguageRule] | None = None) -> list[Finding]:
    """Jargon and acronyms from the terms list, each with plain words to use instead."""
    active = _default_terms() if terms is None else terms
    return [replace(f, kind="jargon") for f in check_text(text, active, tone=None)]


def check_wording(text: str, audience: str = "professional",
                  rules: Sequence[LanguageRule] | None = None,
                  terms: Sequence[LanguageRule] | None = None,
                  tone: Tone = "default") -> dict[str, Any]:
    """Every check for an audience: restorative findings always; for a family audience also
    jargon and plain-English findings and the reading age. Findings are sorted by start."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}")
    findings = list(check_text(text, rules, tone))
    result: dict[str, Any] = {}
    if audience == "family":
        findings += jargon_findings(text, terms) + plain_english_findings(text)
        result["reading_age"] = reading_age(text)
    findings.sort(key=lambda f: (f.start, f.end, f.kind))
    result["findings"] = [f.to_dict() for f in findings]
    return result
