"""Report the language check's hits, recall, false flags and speed on the bundled sentence sets."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.plans.language import LanguageRule, check_text, load_rules  # noqa: E402
from tracker.plans.language_tone import ToneModel, default_model  # noqa: E402

SEED_EXAMPLES = (
    "I am really concerned you haven't been taking Rosie to school every day and this is "
    "having a huge impact on her education.",
    "I am worried your lack of engagement means the children will continue to be at risk",
)
RUNS = 10_000


def sentences(name: str) -> list[str]:
    """Non-blank, non-comment lines of a sentence file in tests/plans."""
    lines = (ROOT / "tests" / "plans" / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def construct_sentences() -> tuple[list[tuple[str, str]], list[str]]:
    """(construct, sentence) pairs and neutral sentences of language_construct_sentences.txt."""
    section, flagged, neutral = "", [], []
    for raw in (ROOT / "tests" / "plans" / "language_construct_sentences.txt").read_text(
            encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("##"):
            section = line.lstrip("#").strip()
        elif line and not line.startswith("#"):
            if section == "neutral":
                neutral.append(line)
            else:
                flagged.append((section, line))
    return flagged, neutral


def main() -> None:
    """Print the report."""
    rules = load_rules()
    tone = default_model()
    flag_set = sentences("language_flag_sentences.txt")
    neutral_set = sentences("language_neutral_sentences.txt")
    print(f"rules loaded: {len(rules)}")

    seed_hits = [s for s in SEED_EXAMPLES if check_text(s, rules, tone)]
    print(f"seed examples flagged: {len(seed_hits)}/{len(SEED_EXAMPLES)}")
    for text in SEED_EXAMPLES:
        print(f"  {[f.phrase for f in check_text(text, rules, tone)]}")

    missed = [s for s in flag_set if not check_text(s, rules, tone)]
    print(f"recall on flag set: {len(flag_set) - len(missed)}/{len(flag_set)}")
    for text in missed:
        print(f"  missed: {text}")

    false_flags = [(s, check_text(s, rules, tone)) for s in neutral_set]
    false_flags = [(s, f) for s, f in false_flags if f]
    print(f"false flags on neutral set: {len(false_flags)}/{len(neutral_set)}")
    for text, findings in false_flags:
        print(f"  {[f.phrase for f in findings]} in: {text}")

    # The construct sentences were written with the rules (a development set, not held out).
    construct_flag, construct_neutral = construct_sentences()
    hits = sum(1 for _, s in construct_flag if check_text(s, rules, tone))
    print(f"construct sentences (development set) flagged: {hits}/{len(construct_flag)}")
    for name in sorted({c for c, _ in construct_flag}):
        rows = [s for c, s in construct_flag if c == name]
        print(f"  {name}: {sum(1 for s in rows if check_text(s, rules, tone))}/{len(rows)}")
    wrong = [s for s in construct_neutral if check_text(s, rules, tone)]
    print(f"construct neutral sentences flagged: {len(wrong)}/{len(construct_neutral)}")

    corpus = list(SEED_EXAMPLES) + flag_set + neutral_set
    speed(corpus, rules, None, "rules only (before the tone model)")
    speed(corpus, rules, tone, "rules + tone model (the check as shipped)")


def speed(corpus: list[str], rules: tuple[LanguageRule, ...], tone: ToneModel | None,
          label: str) -> None:
    """Sentences per second, one sentence a check, and the whole corpus as one text."""
    mean_chars = sum(map(len, corpus)) / len(corpus)
    for text in corpus:  # warm the lemma caches, as a running service has them
        check_text(text, rules, tone)
    start = time.perf_counter()
    for i in range(RUNS):
        check_text(corpus[i % len(corpus)], rules, tone)
    elapsed = time.perf_counter() - start
    print(
        f"{label}: {RUNS / elapsed:,.0f} sentences/s, {elapsed / RUNS * 1e6:.1f} µs per check "
        f"over {RUNS:,} runs (one sentence each, mean {mean_chars:.0f} chars, {len(rules)} rules)"
    )
    long_text = " ".join(corpus)
    start = time.perf_counter()
    for _ in range(100):
        check_text(long_text, rules, tone)
    print(
        f"  whole corpus as one text ({len(long_text):,} chars): "
        f"{(time.perf_counter() - start) / 100 * 1e3:.2f} ms per check"
    )


if __name__ == "__main__":
    main()
