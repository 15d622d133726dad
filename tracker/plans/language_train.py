"""Training the tone model (``language_tone.py``) in pure Python: no numpy, nothing new in CI.

A logistic regression with L2 regularisation, fitted by AdaGrad over shuffled sentences
(fixed seed, so the same data gives the same weights), with the two classes weighted
equally. Features seen fewer than ``min_count`` times are dropped, so a name or a one-off
word cannot carry weight. The threshold is chosen on out-of-fold scores only
(``choose_threshold``): the lowest threshold whose false flags on neutral sentences stay at
or under the target, counting the rules' own false flags too; so is the veto
(``choose_veto``), the score under which a sentence reads as so plainly neutral that a rule
finding in it is set aside.

Run ``python bench/language_train.py`` to retrain the bundled model from the sentences we own.
"""

from __future__ import annotations

import math
import random
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tracker.plans.language_patterns import lemma, lemma_text
from tracker.plans.language_tone import TONE_SUGGESTION, ToneModel, features

LEXICON_LISTS = ("person", "child", "quality", "attitude_word", "person_label", "home_label",
                 "consequence", "insight_verb", "removal", "concern_noun")


VETO_CAP = 0.05
VETO_SPARE = 0.01


@dataclass(frozen=True)
class Example:
    """One training sentence: 1 for blaming or deficit, 0 for neutral; its source file."""

    sentence: str
    label: int
    group: str


@dataclass(frozen=True)
class Training:
    """How hard to fit: passes over the data, L2 strength, learning rate, rare-feature cut."""

    epochs: int = 40
    l2: float = 3e-3
    rate: float = 0.5
    min_count: int = 3
    seed: int = 13
    fit_bias: bool = True


def read_sentences(path: Path) -> list[tuple[str, str]]:
    """(section, sentence) pairs of a sentence file: "## name" starts a section, "#" lines
    are comments."""
    section, rows = "all", []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("##"):
            section = line.lstrip("#").strip()
        elif line and not line.startswith("#"):
            rows.append((section, line))
    return rows


def examples_from(path: Path, label: int | None, group: str) -> list[Example]:
    """A file's sentences; with label None, a "## neutral" section is 0 and the rest 1."""
    return [Example(s, (0 if section == "neutral" else 1) if label is None else label, group)
            for section, s in read_sentences(path)]


_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def suggestion_examples(path: Path, group: str = "suggestions") -> list[Example]:
    """The rules' own suggestions, a sentence each, as neutral: the check must never flag the
    invitations it offers, and they teach the model what an invitation to the family reads like."""
    tables = tomllib.loads(path.read_text(encoding="utf-8")).get("rule", [])
    texts = [t["suggestion"] for t in tables if isinstance(t.get("suggestion"), str)]
    return [Example(s.strip(), 0, group) for text in [*texts, TONE_SUGGESTION]
            for s in _SENTENCE_END.split(text) if s.strip()]


def lexicons_from_rules(path: Path) -> dict[str, frozenset[str]]:
    """The rules' word lists the model uses as features, in lemma form."""
    words = tomllib.loads(path.read_text(encoding="utf-8")).get("words", {})
    out = {}
    for name in LEXICON_LISTS:
        forms = set()
        for entry in words.get(name, ()):
            forms.add(" ".join(lemma_text(entry.lower()).text.lower().split()))
            forms.add(" ".join(lemma(w) for w in entry.lower().split()))
        out[name] = frozenset(f for f in forms if f)
    return out


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def train(examples: Sequence[Example], lexicons: Mapping[str, frozenset[str]],
          settings: Training = Training(), threshold: float = 0.5) -> ToneModel:
    """Fit the weights on `examples` (the threshold is given, see choose_threshold)."""
    rows = [(features(e.sentence, lexicons), e.label) for e in examples]
    counts = Counter(f for found, _ in rows for f in found)
    kept = {f for f, n in counts.items() if n >= settings.min_count}
    rows = [({f for f in found if f in kept}, label) for found, label in rows]
    positives = sum(label for _, label in rows) or 1
    negatives = (len(rows) - positives) or 1
    class_weight = {1: len(rows) / (2 * positives), 0: len(rows) / (2 * negatives)}
    weights: dict[str, float] = dict.fromkeys(kept, 0.0)
    squares: dict[str, float] = dict.fromkeys(kept, 1e-8)
    bias, bias_square = 0.0, 1e-8
    order = list(range(len(rows)))
    shuffle = random.Random(settings.seed).shuffle  # noqa: S311 - a repeatable order, not a secret
    for _ in range(settings.epochs):
        shuffle(order)
        for i in order:
            found, label = rows[i]
            p = _sigmoid(bias + sum(weights[f] for f in found))
            g = (p - label) * class_weight[label]
            for f in found:
                grad = g + settings.l2 * weights[f]
                squares[f] += grad * grad
                weights[f] -= settings.rate * grad / math.sqrt(squares[f])
            if settings.fit_bias:
                bias_square += g * g
                bias -= settings.rate * g / math.sqrt(bias_square)
    return ToneModel(bias=bias, threshold=threshold, weights=weights,
                     lexicons=dict(lexicons))


def out_of_fold(examples: Sequence[Example], lexicons: Mapping[str, frozenset[str]],
                settings: Training = Training()) -> list[float]:
    """Each sentence's score from a model trained without its source file (grouped folds)."""
    scores = [0.0] * len(examples)
    for group in sorted({e.group for e in examples}):
        inside = [i for i, e in enumerate(examples) if e.group == group]
        rest = [e for e in examples if e.group != group]
        if not rest or len({e.label for e in rest}) < 2:
            continue
        model = train(rest, lexicons, settings)
        for i in inside:
            scores[i] = model.score(examples[i].sentence)
    return scores


def choose_threshold(examples: Sequence[Example], scores: Sequence[float],
                     rule_hit: Callable[[str], bool], target: float,
                     counted: Callable[[Example], bool] = lambda e: True) -> float:
    """The lowest threshold whose union with the rules keeps neutral false flags <= target
    (out of fold),
    counted on the neutral sentences `counted` picks (the bench counts the independently
    written sets: plan sentences of the kind a held-out set has)."""
    neutral = [(s, rule_hit(e.sentence)) for e, s in zip(examples, scores, strict=True)
               if e.label == 0 and counted(e)]
    if not neutral:
        return 0.5
    for threshold in [t / 100 for t in range(5, 100)]:
        flagged = sum(1 for s, by_rule in neutral if by_rule or s >= threshold)
        if flagged / len(neutral) <= target:
            return threshold
    return 0.99


def choose_veto(examples: Sequence[Example], scores: Sequence[float],
                rule_hit: Callable[[str], bool], cap: float = VETO_CAP,
                spare: float = VETO_SPARE) -> float:
    """How low a score sets a rule finding aside: at most `spare` (1 %) of the blaming
    sentences a rule caught score under it out of fold, and it is at most `cap`."""
    caught = sorted(s for e, s in zip(examples, scores, strict=True)
                    if e.label == 1 and rule_hit(e.sentence))
    if not caught:
        return 0.0
    return min(cap, caught[int(len(caught) * spare)])


def figures(examples: Iterable[Example], flagged: Callable[[Example], bool]) -> tuple[int, int, int, int]:
    """(blaming caught, blaming total, neutral flagged, neutral total)."""
    hit = total = false = neutral = 0
    for e in examples:
        if e.label:
            total += 1
            hit += flagged(e)
        else:
            neutral += 1
            false += flagged(e)
    return hit, total, false, neutral
