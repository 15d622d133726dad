"""Train the language check's tone model from the sentences we own, and estimate it honestly.

    python bench/language_train.py            # retrain tracker/plans/language_tone.json
    python bench/language_train.py --loso     # leave-one-set-out table, writes nothing
    python bench/language_train.py --out tone.json --rules rules.toml   # an authority's own

Training data (blaming = 1, neutral = 0), each file its own group: the held-out sets 1-4 in
bench/data; the test sentences in tests/plans (the construct file's "## neutral" section is
neutral); and, as neutral, the demo's words and the rules' own suggestions a sentence each (so
the model learns what an invitation to the family reads like). A local authority adds its own
sentences by adding files to SOURCES and retraining, then points LANGUAGE_TONE_PATH at the new
file (or replaces the bundled one). Training is pure Python and takes about a minute.

The threshold is chosen on out-of-fold scores (each file scored by a model trained without
it), as the lowest whose union with the rules keeps false flags <= --target on the neutral
sentences of the independently written sets (INDEPENDENT); the veto is the out-of-fold score
under which 1 % of the blaming sentences a rule caught fall, at most 0.05.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.demo import PROGRESS_NOTES, RECORD, family_facing_texts  # noqa: E402
from tracker.plans.language import LanguageRule, check_text, load_rules  # noqa: E402
from tracker.plans.language_tone import DEFAULT_MODEL_PATH, ToneModel  # noqa: E402
from tracker.plans.language_train import (  # noqa: E402
    Example,
    Training,
    choose_threshold,
    choose_veto,
    examples_from,
    figures,
    lexicons_from_rules,
    out_of_fold,
    suggestion_examples,
    train,
)

DATA = ROOT / "bench" / "data"
TESTS = ROOT / "tests" / "plans"
# (group, file, label): label None means "## neutral" sections are 0, the rest 1.
SOURCES: tuple[tuple[str, Path, int | None], ...] = (
    ("set1", DATA / "language_heldout_flag.txt", 1),
    ("set1", DATA / "language_heldout_neutral.txt", 0),
    ("set2", DATA / "language_heldout2_flag.txt", 1),
    ("set2", DATA / "language_heldout2_neutral.txt", 0),
    ("set3", DATA / "language_heldout3_flag.txt", 1),
    ("set3", DATA / "language_heldout3_neutral.txt", 0),
    ("set4", DATA / "language_heldout4_flag.txt", 1),
    ("set4", DATA / "language_heldout4_neutral.txt", 0),
    ("tests_construct", TESTS / "language_construct_sentences.txt", None),
    ("tests_flag", TESTS / "language_flag_sentences.txt", 1),
    ("tests_neutral", TESTS / "language_neutral_sentences.txt", 0),
    ("tests_counter", TESTS / "language_counter_sentences.txt", 0),
)
# On the training folds' independent sets, leaving room under the issue's 0.03 for a new
# writer (set 2 had three times the others' false flags) and for the rules' own false flags.
TARGET = 0.015
LOSO_SETS = ("set2", "set3", "set4")
# Written from HELDOUT_BRIEF.md by writers who had not seen the rules: plan sentences of the
# kind a new held-out set has, so their out-of-fold false flags choose the threshold.
INDEPENDENT = frozenset({"set1", "set2", "set3", "set4"})


RULES = ROOT / "tracker" / "plans" / "language_rules.toml"


def demo_examples() -> list[Example]:
    """The demo's record, notes and family-facing text, a sentence each, as neutral."""
    texts = [*RECORD.values(), *PROGRESS_NOTES.values(), *family_facing_texts()]
    return [Example(s.strip(), 0, "demo") for text in texts
            for s in re.split(r"(?<=[.?!])\s+|\n+", text) if len(s.split()) >= 3]


def corpus(rules_path: Path = RULES) -> list[Example]:
    """Every training sentence we own, with its group; the rules' suggestions and the demo's
    words are neutral."""
    return [e for group, path, label in SOURCES for e in examples_from(path, label, group)] + (
        suggestion_examples(rules_path) + demo_examples())


def fit(examples: list[Example], rules_path: Path, target: float,
        settings: Training) -> ToneModel:
    """Threshold from out-of-fold scores, then the weights from all of `examples`."""
    rules = load_rules(rules_path)
    lexicons = lexicons_from_rules(rules_path)
    scores = out_of_fold(examples, lexicons, settings)
    hits = {e.sentence: bool(check_text(e.sentence, rules, tone=None)) for e in examples}
    threshold = choose_threshold(examples, scores, hits.__getitem__, target,
                                 lambda e: e.group in INDEPENDENT)
    veto = choose_veto(examples, scores, hits.__getitem__)
    model = train(examples, lexicons, settings, threshold)
    return ToneModel(model.bias, threshold, model.weights, veto, model.lexicons, {
        "trained_on": sorted({e.group for e in examples}),
        "sentences": {"blaming": sum(e.label for e in examples),
                      "neutral": sum(1 - e.label for e in examples)},
        "threshold_target": target,
        "training": vars(settings),
        "command": "python bench/language_train.py",
    })


def _line(name: str, fig: tuple[int, int, int, int]) -> str:
    hit, total, false, neutral = fig
    return (f"  {name:<11} recall {hit}/{total} = {hit / total:.3f}   "
            f"false flags {false}/{neutral} = {false / neutral:.3f}")


def loso(rules_path: Path, target: float, settings: Training) -> None:
    """Leave one independent set out: train on everything else, measure on it."""
    examples = corpus(rules_path)
    rules = load_rules(rules_path)
    by_rule = {e.sentence: bool(check_text(e.sentence, rules, tone=None)) for e in examples}
    for held in LOSO_SETS:
        rest = [e for e in examples if e.group != held]
        test = [e for e in examples if e.group == held]
        model = fit(rest, rules_path, target, settings)
        print(f"== leave out {held} (threshold {model.threshold:.2f}, veto {model.veto:.3f}, "
              "both chosen on the others)")
        fold(test, rules, model, by_rule)


def fold(test: list[Example], rules: tuple[LanguageRule, ...], model: ToneModel,
         by_rule: dict[str, bool]) -> None:
    """One held-out set's figures four ways, and what the check got wrong."""
    score = {e.sentence: model.score(e.sentence) for e in test}
    by_model = {s: p >= model.threshold for s, p in score.items()}
    checked = {e.sentence: bool(check_text(e.sentence, rules, tone=model)) for e in test}
    print(_line("rules", figures(test, lambda e: by_rule[e.sentence])))
    print(_line("classifier", figures(test, lambda e: by_model[e.sentence])))
    print(_line("union", figures(test, lambda e: by_rule[e.sentence] or by_model[e.sentence])))
    print(_line("the check", figures(test, lambda e: checked[e.sentence])))
    for e in test:
        if checked[e.sentence] != bool(e.label):
            kind = "missed" if e.label else "flagged"
            print(f"    {kind} ({score[e.sentence]:.2f}): {e.sentence}")


def main() -> None:
    """Retrain the bundled model, or print the leave-one-set-out table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loso", action="store_true", help="print the leave-one-set-out table")
    parser.add_argument("--rules", type=Path, default=RULES)
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH)
    parser.add_argument("--target", type=float, default=TARGET)
    parser.add_argument("--epochs", type=int, default=Training.epochs)
    parser.add_argument("--l2", type=float, default=Training.l2)
    parser.add_argument("--no-bias", action="store_true",
                        help="keep the bias at 0: a sentence is neutral unless its words say not")
    args = parser.parse_args()
    settings = Training(epochs=args.epochs, l2=args.l2, fit_bias=not args.no_bias)
    if args.loso:
        loso(args.rules, args.target, settings)
        return
    model = fit(corpus(args.rules), args.rules, args.target, settings)
    args.out.write_text(json.dumps(model.to_json(), indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    print(f"wrote {args.out}: {len(model.weights)} weights, threshold {model.threshold:.2f}")


if __name__ == "__main__":
    main()
