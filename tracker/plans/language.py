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

import bisect
import re
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from re import _constants as _sre  # type: ignore[attr-defined]  # stdlib regex parser, see _requirement
from re._parser import parse as _sre_parse
from typing import Any

import simplemma

DEFAULT_RULES_PATH = Path(__file__).with_name("language_rules.toml")

_REQUIRED_KEYS = ("id", "pattern", "why", "suggestion")
_ALLOWED_KEYS = frozenset(_REQUIRED_KEYS) | {"unless", "on", "construct"}
MATCH_ON = ("text", "lemmas")

_NOT_NAMES = (
    "A An And As At But By Each Every For From He Her His How I If In It Its My No Of On Or "
    "Our Please She So Some That The Their Them Then There These They This Those To Us We What "
    "When Where Which Who Why Will With Would You Your Consider Ask Tell Be Do Does Did Can "
    "Could Should Must May Might Is Are Was Were Has Have Had Not Any All"
)
NAME_PATTERN = r"(?-i:(?!(?:" + "|".join(_NOT_NAMES.split()) + r")(?![\w’'-]))[A-Z][\w’'-]*)"
"""The built-in ``{Name}`` word: a capitalised word (a first name, a surname, a title) that
is not a common sentence-opening word such as "What" or "The"."""

_WORD_REF = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


# ---------------------------------------------------------------- lemma text


_TOKEN = re.compile(r"[^\W_]+(?:[’'-][^\W_]+)*|[^\w\s]")
_NOT_SUFFIX = re.compile(r"^(\w+)n[’']t$", re.IGNORECASE)
_CLITIC = re.compile(r"^(\w+)[’'](m|re|ve|ll|d|s)$", re.IGNORECASE)
_IRREGULAR_NOT = {"can": "can", "won": "will", "shan": "shall", "ain": "be", "ca": "can"}
_PRONOUNS = frozenset("he she it that there what who where here".split())
_CLITIC_WORD = {"m": "be", "re": "be", "ve": "have", "ll": "will", "d": "would", "s": "'s"}


@lru_cache(maxsize=20_000)
def lemma(word: str) -> str:
    """The dictionary form of one lower-case word (simplemma's English data, cached)."""
    if word in {"'s", "not"} or not word[0].isalpha():
        return word
    return simplemma.lemmatize(word, lang="en")


def _spell_out(token: str) -> list[str]:
    """A token as the lower-case words it stands for: "didn't" is ["did", "not"]."""
    low = token.lower().replace("’", "'")
    if low == "cannot":
        return ["can", "not"]
    negated = _NOT_SUFFIX.match(low)
    if negated:
        stem = negated.group(1)
        return [_IRREGULAR_NOT.get(stem, stem), "not"]
    clitic = _CLITIC.match(low)
    if clitic:
        stem, tail = clitic.group(1), clitic.group(2)
        if tail == "s" and stem in _PRONOUNS:
            return [stem, "be"]  # "she's unwilling": after a pronoun, 's is nearly always is
        return [stem, _CLITIC_WORD[tail]]
    return [low]


@lru_cache(maxsize=50_000)
def _token_forms(token: str) -> tuple[str, ...]:
    """A token's lemma-text forms; a capitalised token keeps its capital on the first."""
    forms = [lemma(word) for word in _spell_out(token)]
    if token[0].isupper():
        forms[0] = forms[0][:1].upper() + forms[0][1:]
    return tuple(forms)


@dataclass(frozen=True)
class LemmaText:
    """A text's lemma text, and where each of its tokens came from in the original."""

    text: str
    starts: tuple[int, ...]  # start of each lemma token in `text`
    ends: tuple[int, ...]
    spans: tuple[tuple[int, int], ...]  # the original (start, end) of each token

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets covering lemma-text offsets [start, end)."""
        first = max(0, bisect.bisect_right(self.starts, start) - 1)
        last = max(first, bisect.bisect_left(self.starts, end) - 1)
        return self.spans[first][0], self.spans[last][1]


def lemma_text(text: str) -> LemmaText:
    """Tokens of `text` as dictionary forms joined by single spaces (see the module doc).

    A word that starts with a capital keeps its capital, so ``{Name}`` can find names.
    """
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    spans: list[tuple[int, int]] = []
    at = 0
    for match in _TOKEN.finditer(text):
        for form in _token_forms(match.group()):
            parts.append(form)
            starts.append(at)
            ends.append(at + len(form))
            spans.append(match.span())
            at += len(form) + 1
    return LemmaText(" ".join(parts), tuple(starts), tuple(ends), tuple(spans))


# ---------------------------------------------------------------- rules


def _word_alternation(entries: Sequence[str], on: str) -> str:
    forms: set[str] = set()
    for entry in entries:
        words = entry.lower().split()
        if on == "lemmas":
            spelt = [w for word in words for w in _spell_out(word)]
            forms.add(" ".join(spelt))
            forms.add(" ".join(lemma(w) for w in spelt))
        else:
            forms.add(" ".join(words))
    return _trie_regex(sorted(forms), " " if on == "lemmas" else r"\s+")


def _trie_regex(forms: Sequence[str], space: str) -> str:
    """One regex for a set of literal phrases, as a trie: `re` tries alternatives one by
    one, so sharing prefixes ("un" of unwilling, unmotivated, ...) keeps matching fast."""
    trie: dict[str, Any] = {}
    for form in forms:
        node = trie
        for ch in form:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = []
        for ch in sorted(k for k in node if k):
            piece = space if ch == " " else "[’']" if ch in "'’" else re.escape(ch)
            branches.append(piece + emit(node[ch]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # The longest phrase is tried first (greedy "?"), like the old longest-first order.
        return f"(?:{body})?" if ends else body

    return "(?:" + emit(trie) + ")"


def lemmatise_pattern(pattern: str) -> str:
    """A lemma rule's pattern with each literal word in its dictionary form.

    The text is lemmatised before matching, so the pattern's own words must be too: an
    author may write "told", "children" or "unwilling" and it still matches. Escapes
    (``\\w``), group syntax (``(?:``, ``(?-i:``), character classes and ``{name}`` are
    left alone.
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i : i + 2])
            i += 2
        elif ch == "[":
            end = i + 1
            while end < n and pattern[end] != "]":
                end += 2 if pattern[end] == "\\" else 1
            out.append(pattern[i : end + 1])
            i = end + 1
        elif ch == "{":
            end = pattern.find("}", i)
            end = n - 1 if end < 0 else end
            out.append(pattern[i : end + 1])
            i = end + 1
        elif pattern.startswith("(?", i):
            end = i + 2
            while end < n and pattern[end] in "-aiLmsux<":
                end += 1
            out.append(pattern[i:end])
            i = end
        elif ch.isalpha():
            end = i
            while end < n and (pattern[end].isalpha() or pattern[end] in "'’-"):
                end += 1
            word = pattern[i:end]
            out.append(" ".join(lemma(w) for w in _spell_out(word)) if word.islower() else word)
            i = end
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _expand(rule_id: str, key: str, pattern: str, words: Mapping[str, Sequence[str]],
            on: str) -> str:
    if on == "lemmas":
        pattern = lemmatise_pattern(pattern)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "Name":
            return NAME_PATTERN
        if name not in words:
            raise ValueError(f"language rule {rule_id!r}: {key} uses {{{name}}}, which is not "
                             "a list in [words]")
        return _word_alternation(words[name], on)

    return _WORD_REF.sub(replace, pattern)


def _split_top(pattern: str) -> list[str]:
    """The top-level alternatives of a regex ("a|b(c|d)" is ["a", "b(c|d)"])."""
    parts, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


_MIN_ANCHOR = 3


def _requirement(items: Any) -> frozenset[str] | None:
    """Strings of which a match must contain at least one (lower-case), or None.

    Read from the parsed regex: runs of literal characters, alternations whose every branch
    has a requirement, and repeats that happen at least once. The longest sure string wins.
    """
    options: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= _MIN_ANCHOR:
            options.append(frozenset(["".join(run)]))
        run.clear()

    for op, av in items:
        if op is _sre.LITERAL:
            run.append(chr(av).lower())
            continue
        flush()
        found: frozenset[str] | None = None
        if op is _sre.SUBPATTERN:
            found = _requirement(av[3])
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
            found = _requirement(av[2])
        elif op is _sre.BRANCH:
            alternatives = [_requirement(branch) for branch in av[1]]
            if all(alternatives):
                found = frozenset().union(*(a for a in alternatives if a))
        if found:
            options.append(found)
    flush()
    if not options:
        return None
    return max(options, key=lambda o: (min(map(len, o)), -len(o)))


def _branches(rule_id: str, pattern: str) -> tuple[tuple[re.Pattern[str], frozenset[str] | None], ...]:
    """Each top-level alternative compiled alone, with the strings one of which it needs:
    a branch whose strings are all absent from a text is not run at all."""
    out = []
    for part in _split_top(pattern):
        try:
            requirement = _requirement(_sre_parse(part))
        except (re.error, TypeError, ValueError, IndexError):
            requirement = None
        out.append((_compile(rule_id, "pattern", part), requirement))
    return tuple(out)


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
        pattern = _expand(self.id, "pattern", self.pattern, self.words, self.on)
        object.__setattr__(self, "regex", _compile(self.id, "pattern", pattern))
        object.__setattr__(self, "branches", _branches(self.id, pattern))
        unless = None
        if self.unless:
            expanded = _expand(self.id, "unless", self.unless, self.words, self.on)
            unless = _compile(self.id, "unless", expanded)
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
                for n in range(_MIN_ANCHOR, len(longest) + 1):
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
        regex = re.compile(f"(?=({_trie_regex(sorted(by_word), ' ')}))", re.DOTALL)
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


def check_text(text: str, rules: Sequence[LanguageRule] | None = None) -> list[Finding]:
    """Find wording that may land as blame, sorted by start and never overlapping.

    When matches from different rules overlap, the longest wins (ties: the earlier start,
    then the earlier rule). A match is dropped when the rule's `unless` regex matches text
    overlapping it (in the same text, written or lemma, the rule runs on). Offsets are str
    indexes into `text`, so text[start:end] == phrase.
    """
    active = _default_rules() if rules is None else rules
    if not isinstance(active, tuple):
        active = tuple(active)
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
_PIECE_END = re.compile(r"(?<=[.!?])\s+|\n\s*")


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
