"""Lemma text and rule patterns for the language check: words to dictionary forms, patterns compiled.

Split from ``language.py`` so each reads in one sitting: this module turns a text into its
*lemma text* (every word lower-cased and replaced by its dictionary form with ``simplemma``,
contractions spelt out) and turns a rule's pattern (with ``{word_list}`` references and the
built-in ``{Name}``) into compiled regexes, with the literal words each branch needs so the
scanner can skip branches whose words do not occur. Pure: standard library and simplemma.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from re import _constants as _sre  # type: ignore[attr-defined]  # stdlib regex parser, see required_words
from re._parser import parse as _sre_parse
from typing import Any

import simplemma

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
    return trie_regex(sorted(forms), " " if on == "lemmas" else r"\s+")


def trie_regex(forms: Sequence[str], space: str) -> str:
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


def expand_words(rule_id: str, key: str, pattern: str, words: Mapping[str, Sequence[str]],
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


MIN_ANCHOR = 3


def required_words(items: Any) -> frozenset[str] | None:
    """Strings of which a match must contain at least one (lower-case), or None.

    Read from the parsed regex: runs of literal characters, alternations whose every branch
    has a requirement, and repeats that happen at least once. The longest sure string wins.
    """
    options: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= MIN_ANCHOR:
            options.append(frozenset(["".join(run)]))
        run.clear()

    for op, av in items:
        if op is _sre.LITERAL:
            run.append(chr(av).lower())
            continue
        flush()
        found: frozenset[str] | None = None
        if op is _sre.SUBPATTERN:
            found = required_words(av[3])
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
            found = required_words(av[2])
        elif op is _sre.BRANCH:
            alternatives = [required_words(branch) for branch in av[1]]
            if all(alternatives):
                found = frozenset().union(*(a for a in alternatives if a))
        if found:
            options.append(found)
    flush()
    if not options:
        return None
    return max(options, key=lambda o: (min(map(len, o)), -len(o)))


def pattern_branches(rule_id: str, pattern: str) -> tuple[tuple[re.Pattern[str], frozenset[str] | None], ...]:
    """Each top-level alternative compiled alone, with the strings one of which it needs:
    a branch whose strings are all absent from a text is not run at all."""
    out = []
    for part in _split_top(pattern):
        try:
            requirement = required_words(_sre_parse(part))
        except (re.error, TypeError, ValueError, IndexError):
            requirement = None
        out.append((compile_pattern(rule_id, "pattern", part), requirement))
    return tuple(out)


def compile_pattern(rule_id: str, key: str, pattern: str) -> re.Pattern[str]:
    # Whole-match word bounds are added here so rule authors cannot forget them, and
    # lookarounds (not \b) so a pattern may start or end with punctuation.
    try:
        compiled = re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"language rule {rule_id!r}: {key} is not a valid regex: {exc}") from exc
    if compiled.fullmatch(""):
        raise ValueError(f"language rule {rule_id!r}: {key} matches empty text")
    return compiled
