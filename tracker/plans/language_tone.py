"""The tone model: a small statistical check of blaming or deficit sentences, beside the rules.

The rules in ``language_rules.toml`` name phrasings and say why each may land as blame; they
miss phrasings nobody wrote a rule for. This model reads a whole sentence instead: a
logistic regression over its lemma words, word pairs and a few construct features (a word
from a lexicon of attitude words, labels or heavy consequences; a person followed by "not";
"if" with a consequence; a date or a time, which plans have and judgements rarely do). A
sentence it scores at or above its threshold, that no rule explains, becomes a finding of
construct "tone" with a gentle suggestion (see ``language.py``).

The weights are data (``language_tone.json``), reviewable and retrainable by a local
authority: ``python bench/language_train.py`` (trainer in ``language_train.py``). Inference is
pure Python: standard library and simplemma.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from tracker.plans.language_patterns import lemma_text

DEFAULT_MODEL_PATH = Path(__file__).with_name("language_tone.json")
MODEL_FORMAT = "tracker-language-tone"
MODEL_VERSION = 1

TONE_WHY = (
    "Read as a whole, this sentence may land as a judgement of the person rather than a "
    "description of what happened (what weighs most: {words})."
)
TONE_SUGGESTION = (
    "Consider: describe what happened, when and how often, and ask what would help — for "
    "example \"What got in the way of this? What would help you to do it?\""
)

_NEGATION = frozenset({"not", "never", "no", "nobody", "nothing", "refuse", "fail"})
_SUBJECT_LEXICON = "person"
_TIME_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april "
    "may june july august september october november december week weekly fortnight "
    "fortnightly month monthly daily am pm morning evening afternoon".split())
_KEEP_PUNCT = frozenset("?!")
_FAMILY_WORDS = frozenset(
    "mum mother dad father nan nana grandma grandad grandmother grandfather parent carer".split())
_WORD = re.compile(r"^[^\W\d_][\w’'-]*$")
MAX_NGRAM = 4
# Words too common to explain a finding ("what weighs most" names content words only).
_FUNCTION_WORDS = frozenset(
    "a an the be have do to of and or but in on at for with by from as it its this that these "
    "those there i we he she they you his her their our your him them us me my what who which "
    "when will would can could should may might must so if not no".split())


@lru_cache(maxsize=50_000)
def _token(token: str, first: bool) -> str | None:
    """One lemma-text token as a model word (None when it is dropped)."""
    if token[0].isdigit():
        return "<num>"
    if _WORD.match(token):
        low = token.lower()
        # A capital mid-sentence is a name (or a title): names should not carry weight.
        is_name = token[0].isupper() and not first and low != "i" and low not in _FAMILY_WORDS
        return "<name>" if is_name else low
    return token if token in _KEEP_PUNCT else None


def tokens(sentence: str) -> list[str]:
    """A sentence's lemma words, lower-case; names are <name>, numbers <num>; "?" and "!" kept."""
    out = [_token(t, i == 0) for i, t in enumerate(lemma_text(sentence).text.split(" ")) if t]
    return [t for t in out if t is not None]


def _lexicon_hits(words: list[str], lexicons: Mapping[str, frozenset[str]]) -> set[str]:
    single = set(words)
    hits = {name for name, entries in lexicons.items() if not single.isdisjoint(entries)}
    if len(hits) < len(lexicons):
        grams = {" ".join(words[i:i + n]) for n in range(2, MAX_NGRAM + 1)
                 for i in range(len(words) - n + 1)}
        hits |= {name for name, entries in lexicons.items()
                 if name not in hits and not grams.isdisjoint(entries)}
    return hits


def _person_then_not(words: list[str], people: frozenset[str]) -> bool:
    for i, word in enumerate(words):
        if word in people or word == "<name>":
            if any(w in _NEGATION for w in words[i + 1:i + 5]):
                return True
    return False


def features(sentence: str, lexicons: Mapping[str, frozenset[str]]) -> set[str]:
    """The binary features of a sentence: u:word, b:word_word, lex:list, c:construct."""
    words = tokens(sentence)
    found = {f"u:{w}" for w in words}
    padded = ["<s>", *words]
    found |= {f"b:{a}_{b}" for a, b in zip(padded, padded[1:], strict=False)}
    hits = _lexicon_hits(words, lexicons)
    found |= {f"lex:{name}" for name in hits}
    if _person_then_not(words, lexicons.get(_SUBJECT_LEXICON, frozenset())):
        found.add("c:person_not")
    if ("if" in words or "unless" in words or "otherwise" in words) and "consequence" in hits:
        found.add("c:if_consequence")
    if "<num>" in words or _TIME_WORDS.intersection(words):
        found.add("c:when")
    if words and words[-1] == "?":
        found.add("c:question")
    if "you" in words or "your" in words:
        found.add("c:second_person")
    return found


@dataclass(frozen=True)
class ToneModel:
    """Weights of a logistic regression over sentence features; its threshold (a sentence
    scoring at or over it reads as blame) and its veto (a sentence scoring under it reads as
    so plainly neutral that a rule finding in it is set aside)."""

    bias: float
    threshold: float
    weights: Mapping[str, float]
    veto: float = 0.0
    lexicons: Mapping[str, frozenset[str]] = field(default_factory=dict)
    about: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def score(self, sentence: str) -> float:
        """The probability the model gives that a sentence reads as blame or deficit."""
        return self._score(features(sentence, self.lexicons))

    def _score(self, found: set[str]) -> float:
        z = self.bias + sum(self.weights.get(f, 0.0) for f in found)
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def weighing_most(self, sentence: str, n: int = 3) -> list[str]:
        """The words (not word pairs or construct features) pushing a sentence hardest towards
        blame, in dictionary form."""
        scored = [(self.weights.get(f, 0.0), f) for f in features(sentence, self.lexicons)
                  if f.startswith("u:") and "<" not in f and f[2:] not in _FUNCTION_WORDS]
        top = sorted((s for s in scored if s[0] > 0), reverse=True)[:n]
        return [f[2:] for _, f in top]

    def to_json(self) -> dict[str, Any]:
        """The model as the JSON document ``load_model`` reads."""
        return {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "about": dict(self.about),
            "threshold": round(self.threshold, 4),
            "veto": round(self.veto, 4),
            "bias": round(self.bias, 4),
            "lexicons": {k: sorted(v) for k, v in sorted(self.lexicons.items())},
            "weights": {k: round(v, 4) for k, v in sorted(self.weights.items()) if round(v, 4)},
        }


def _number(source: str, key: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{source}: {key} must be a number from {low} to {high}")
    return float(value)


def _lexicons(source: str, raw: Any) -> dict[str, frozenset[str]]:
    if not isinstance(raw, dict):
        raise ValueError(f"{source}: lexicons must be an object of named word lists")
    out: dict[str, frozenset[str]] = {}
    for name, entries in raw.items():
        if not isinstance(entries, list) or not all(
                isinstance(e, str) and e.strip() for e in entries):
            raise ValueError(f"{source}: lexicons.{name} must be a list of non-empty strings")
        out[name] = frozenset(e.strip() for e in entries)
    return out


def model_from_json(data: Any, source: str = "tone model") -> ToneModel:
    """A model from its parsed JSON document; ValueError says what is wrong with it."""
    if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
        raise ValueError(f"{source}: not a tone model (expected \"format\": \"{MODEL_FORMAT}\")")
    if data.get("version") != MODEL_VERSION:
        raise ValueError(f"{source}: version must be {MODEL_VERSION}")
    weights = data.get("weights")
    if not isinstance(weights, dict) or not weights:
        raise ValueError(f"{source}: weights must be a non-empty object of feature: number")
    checked = {}
    for name, value in weights.items():
        if not re.fullmatch(r"(?:u|b|lex|c):\S+", name):
            raise ValueError(f"{source}: weights has an unknown feature {name!r}")
        checked[name] = _number(source, f"weights[{name!r}]", value, -100.0, 100.0)
    about = data.get("about", {})
    return ToneModel(
        bias=_number(source, "bias", data.get("bias"), -100.0, 100.0),
        threshold=_number(source, "threshold", data.get("threshold"), 0.0, 1.0),
        weights=checked,
        veto=_number(source, "veto", data.get("veto", 0.0), 0.0, 1.0),
        lexicons=_lexicons(source, data.get("lexicons", {})),
        about=about if isinstance(about, dict) else {},
    )


def load_model(path: Path | None = None) -> ToneModel:
    """Load and validate a tone model (default: the bundled language_tone.json)."""
    source = path or DEFAULT_MODEL_PATH
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{source}: cannot be read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source}: not valid JSON: {exc}") from exc
    return model_from_json(data, str(source))


@lru_cache(maxsize=1)
def default_model() -> ToneModel:
    """The bundled model, loaded once."""
    return load_model()
