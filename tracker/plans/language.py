"""Restorative language check: flag wording that may land as blame or deficit, with a reframe.

Rules are data (``language_rules.toml``, format documented at its top). A rule's regex runs
either on the text as written (``on = "text"``) or on its *lemma text* (``on = "lemmas"``):
every word lower-cased and replaced by its dictionary form (``simplemma``), contractions
spelt out, tokens joined by single spaces, so one pattern matches every inflection —
"Mum didn't bother", "Dad doesn't bother" and "they never bothered" all read
``... do not bother`` / ``... never bother``. Named word lists (``[words]``) keep long
alternations editable. The check is pure: standard library, simplemma and the rules given.

Run ``python -m tracker.plans.language "some text"`` to see a text's lemma text and findings.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from tracker.plans.language_patterns import (
    MIN_ANCHOR,
    LemmaText,
    compile_pattern,
    expand_words,
    lemma_text,
    pattern_branches,
    trie_regex,
)
from tracker.plans.language_tone import TONE_SUGGESTION, TONE_WHY, ToneModel, default_model

DEFAULT_RULES_PATH = Path(__file__).with_name("language_rules.toml")

_REQUIRED_KEYS = ("id", "pattern", "why", "suggestion")
_ALLOWED_KEYS = frozenset(_REQUIRED_KEYS) | {"unless", "on", "construct"}
MATCH_ON = ("text", "lemmas")


@dataclass(frozen=True)
class LanguageRule:
    """One pattern of wording that may land as blame, why, and a restorative reframe.

    `on` is "text" (the pattern runs on the text as written) or "lemmas" (on its lemma
    text); `words` are the named lists a pattern may use as ``{name}``.
    """

    id: str
    pattern: str
    why: str
    suggestion: str
    unless: str | None = None
    on: str = "text"
    construct: str = "other"
    words: Mapping[str, Sequence[str]] = field(default_factory=dict, repr=False, compare=False)
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)
    branches: tuple[tuple[re.Pattern[str], frozenset[str] | None], ...] = field(
        init=False, repr=False, compare=False)
    unless_regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Compiled once here so check_text does no per-call compilation; frozen dataclasses
        # need object.__setattr__ for derived fields.
        if self.on not in MATCH_ON:
            raise ValueError(f"language rule {self.id!r}: on must be one of {', '.join(MATCH_ON)}")
        pattern = expand_words(self.id, "pattern", self.pattern, self.words, self.on)
        object.__setattr__(self, "regex", compile_pattern(self.id, "pattern", pattern))
        object.__setattr__(self, "branches", pattern_branches(self.id, pattern))
        unless = None
        if self.unless:
            expanded = expand_words(self.id, "unless", self.unless, self.words, self.on)
            unless = compile_pattern(self.id, "unless", expanded)
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
    kind: str = "restorative"  # "restorative" | "jargon" | "plain_english"
    construct: str = "other"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view for templates and APIs."""
        return {
            "start": self.start,
            "end": self.end,
            "phrase": self.phrase,
            "why": self.why,
            "suggestion": self.suggestion,
            "rule_id": self.rule_id,
            "kind": self.kind,
            "construct": self.construct,
        }


def _non_blank_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _rule_from_table(index: int, table: Any, words: Mapping[str, Sequence[str]]) -> LanguageRule:
    if not isinstance(table, dict):
        raise ValueError(f"language rule #{index + 1} is not a table")
    name = table.get("id") if isinstance(table.get("id"), str) else f"#{index + 1}"
    missing = [key for key in _REQUIRED_KEYS if not _non_blank_str(table.get(key))]
    if missing:
        raise ValueError(f"language rule {name!r} is missing {', '.join(missing)}")
    unknown = sorted(set(table) - _ALLOWED_KEYS)
    if unknown:
        raise ValueError(f"language rule {name!r} has unknown keys: {', '.join(unknown)}")
    for key in ("unless", "construct"):
        if key in table and not _non_blank_str(table[key]):
            raise ValueError(f"language rule {name!r}: {key} must be a non-empty string")
    on = table.get("on", "text")
    if on not in MATCH_ON:
        raise ValueError(f"language rule {name!r}: on must be one of {', '.join(MATCH_ON)}")
    return LanguageRule(
        id=table["id"],
        pattern=table["pattern"],
        why=table["why"],
        suggestion=table["suggestion"],
        unless=table.get("unless"),
        on=on,
        construct=table.get("construct", "other"),
        words=words,
    )


def _word_lists(source: Path, data: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    raw = data.get("words", {})
    if not isinstance(raw, dict):
        raise ValueError(f"{source}: [words] must be a table of named lists")
    lists: dict[str, tuple[str, ...]] = {}
    for key, entries in raw.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) or key == "Name":
            raise ValueError(f"{source}: words.{key} is not a usable list name")
        if (not isinstance(entries, list) or not entries
                or not all(_non_blank_str(e) for e in entries)):
            raise ValueError(f"{source}: words.{key} must be a list of one or more non-empty "
                             "strings")
        lists[key] = tuple(e.strip() for e in entries)
    return lists


def load_rules(path: Path | None = None) -> tuple[LanguageRule, ...]:
    """Load and validate rules from a TOML file (default: the bundled language_rules.toml).

    Raises ValueError naming the rule when a rule lacks id, pattern, why or suggestion,
    has an unknown key, repeats an id, uses a word list that is not defined, or has a
    regex that does not compile.
    """
    source = path or DEFAULT_RULES_PATH
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: not valid TOML: {exc}") from exc
    words = _word_lists(source, data)
    tables = data.get("rule")
    if not isinstance(tables, list) or not tables:
        raise ValueError(f"{source}: expected one or more [[rule]] tables")
    rules = tuple(_rule_from_table(i, table, words) for i, table in enumerate(tables))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise ValueError(f"language rule {rule.id!r} appears more than once")
        seen.add(rule.id)
    return rules


@lru_cache(maxsize=1)
def _default_rules() -> tuple[LanguageRule, ...]:
    return load_rules()


def _spans(regex: re.Pattern[str] | None, text: str) -> list[tuple[int, int]]:
    return [] if regex is None else [m.span() for m in regex.finditer(text)]


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


@dataclass(frozen=True)
class _Scanner:
    """An index from the strings the rules' branches need to the branches needing them, so
    one pass over a text finds the few branches worth running."""

    rules: tuple[LanguageRule, ...]
    regex: re.Pattern[str] | None
    by_word: Mapping[str, tuple[tuple[int, int], ...]]
    always: tuple[tuple[int, int], ...]
    has_lemma_rules: bool

    def branches_for(self, lowered: str, on: str) -> list[tuple[int, int]]:
        """(rule index, branch index) of every branch that may match, in rule order."""
        chosen = {ref for ref in self.always if self.rules[ref[0]].on == on}
        if self.regex is not None:
            for match in self.regex.finditer(lowered):
                longest = match.group(1)
                # The trie reports the longest string at each place; its prefixes are there too.
                for n in range(MIN_ANCHOR, len(longest) + 1):
                    for ref in self.by_word.get(longest[:n], ()):
                        if self.rules[ref[0]].on == on:
                            chosen.add(ref)
        return sorted(chosen)


def _build_scanner(rules: tuple[LanguageRule, ...]) -> _Scanner:
    by_word: dict[str, list[tuple[int, int]]] = {}
    always: list[tuple[int, int]] = []
    for r, rule in enumerate(rules):
        for b, (_, needs) in enumerate(rule.branches):
            if needs is None:
                always.append((r, b))
            for word in needs or ():
                by_word.setdefault(word, []).append((r, b))
    regex = None
    if by_word:
        regex = re.compile(f"(?=({trie_regex(sorted(by_word), ' ')}))", re.DOTALL)
    return _Scanner(rules, regex, {w: tuple(refs) for w, refs in by_word.items()}, tuple(always),
                    any(rule.on == "lemmas" for rule in rules))


_SCANNERS: dict[int, _Scanner] = {}


def _scanner(rules: tuple[LanguageRule, ...]) -> _Scanner:
    # Keyed by identity: the service passes the same loaded tuple every time.
    cached = _SCANNERS.get(id(rules))
    if cached is None or cached.rules is not rules:
        if len(_SCANNERS) > 8:
            _SCANNERS.clear()
        cached = _SCANNERS[id(rules)] = _build_scanner(rules)
    return cached


Tone = ToneModel | Literal["default"] | None
TONE_RULE_ID = "tone_model"


def check_text(text: str, rules: Sequence[LanguageRule] | None = None,
               tone: Tone = "default") -> list[Finding]:
    """Find wording that may land as blame, sorted by start and never overlapping.

    The rules run first; then the tone model (``language_tone.py``) reads each sentence: one
    no rule found anything in that it scores at or over its threshold becomes one finding of
    construct "tone", and rule findings in one it scores under its veto are set aside. The
    default `tone` is the bundled model with the bundled rules (`rules` None) and no model
    with rules given; pass a model (or None) to choose.

    When matches from different rules overlap, the longest wins (ties: the earlier start,
    then the earlier rule). A match is dropped when the rule's `unless` regex matches text
    overlapping it (in the same text, written or lemma, the rule runs on). Offsets are str
    indexes into `text`, so text[start:end] == phrase.
    """
    active = _default_rules() if rules is None else rules
    if not isinstance(active, tuple):
        active = tuple(active)
    findings = _rule_findings(text, active)
    model = (default_model() if rules is None else None) if tone == "default" else tone
    return findings if model is None else _with_tone(text, findings, model)


def _with_tone(text: str, findings: list[Finding], model: ToneModel) -> list[Finding]:
    """Each sentence through the model: a sentence it flags that no rule explains gets a
    "tone" finding; rule findings in a sentence it reads as plainly neutral (under its
    `veto`) are set aside."""
    kept: list[Finding] = []
    for start, end in _pieces(text):
        inside = [f for f in findings if f.start < end and start < f.end]
        sentence = text[start:end]
        if len(sentence.split()) < _TONE_MIN_WORDS or (inside and not model.veto):
            kept += inside
            continue
        score = model.score(sentence)
        if inside:
            kept += inside if score >= model.veto else []
        elif score >= model.threshold:
            words = ", ".join(f"\"{w}\"" for w in model.weighing_most(sentence))
            kept.append(Finding(start=start, end=end, phrase=sentence,
                                why=TONE_WHY.format(words=words or "its wording as a whole"),
                                suggestion=TONE_SUGGESTION, rule_id=TONE_RULE_ID,
                                construct="tone"))
    return sorted(set(kept), key=lambda f: (f.start, f.end))


_TONE_MIN_WORDS = 3


def _rule_findings(text: str, active: tuple[LanguageRule, ...]) -> list[Finding]:
    if len(text) > _CHUNK:
        # A long text is checked a sentence or line at a time (no rule spans a full stop or
        # a line break), so each piece runs only the few branches its own words call for.
        findings: list[Finding] = []
        for start, end in _pieces(text):
            findings += [replace(f, start=f.start + start, end=f.end + start)
                         for f in _check(text[start:end], active)]
        return findings
    return _check(text, active)


_CHUNK = 400
_PIECE_END = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")


def _pieces(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line of a text."""
    pieces, start = [], 0
    for match in _PIECE_END.finditer(text):
        if match.start() > start:
            pieces.append((start, match.start()))
        start = match.end()
    if start < len(text):
        pieces.append((start, len(text)))
    return pieces


def _check(text: str, active: tuple[LanguageRule, ...]) -> list[Finding]:
    scanner = _scanner(active)
    found: dict[int, list[tuple[int, int]]] = {}
    for r, b in scanner.branches_for(text.lower(), "text"):
        spans = [m.span() for m in active[r].branches[b][0].finditer(text)]
        if spans:
            found.setdefault(r, []).extend(spans)
    lemmas: LemmaText | None = None
    if scanner.has_lemma_rules:
        lemmas = lemma_text(text)
        for r, b in scanner.branches_for(lemmas.text.lower(), "lemmas"):
            spans = [m.span() for m in active[r].branches[b][0].finditer(lemmas.text)]
            if spans:
                found.setdefault(r, []).extend(spans)
    candidates: list[tuple[int, int, int, LanguageRule]] = []
    for order in sorted(found):
        rule = active[order]
        searched = lemmas.text if lemmas is not None and rule.on == "lemmas" else text
        # The `unless` regex runs once per rule and text, only when the rule matched.
        excused = _spans(rule.unless_regex, searched)
        for start, end in found[order]:
            if end <= start or _overlaps(excused, start, end):
                continue
            if lemmas is not None and rule.on == "lemmas":
                start, end = lemmas.original_span(start, end)
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
            construct=rule.construct,
        )
        for start, end, _, rule in chosen
    ]


def main(argv: Sequence[str] | None = None) -> None:
    """Print each argument's lemma text and findings (for people editing the rules)."""
    for text in argv if argv is not None else sys.argv[1:]:
        print(f"lemmas: {lemma_text(text).text}")
        for finding in check_text(text):
            print(f"  {finding.rule_id} ({finding.construct}): {finding.phrase!r}")


if __name__ == "__main__":
    main()
