"""Language check on held-out sentence sets: recall, false flags, recall by construct.

Each set is reported four ways: the rules alone, the tone model alone, their union, and the
check as shipped (the union, where the model also sets aside a rule finding in a sentence it
reads as plainly neutral). Sets 1-4 are the tone model's training data, so their figures are
development figures; set 5 was written after the check was frozen (HELDOUT_BRIEF.md).

Each set is a pair bench/data/language_heldout<N>_flag.txt / _neutral.txt. A line "## name"
starts a construct section in a flag file; lines starting with "#" are comments (the first
says who wrote the set). Sets are reported separately, with their provenance, so an
independent set is never mixed with one its rules were written against.
Targets (issue 13): recall >= 0.95, false flags <= 0.03.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracker.plans.language import check_text, load_rules  # noqa: E402
from tracker.plans.language_tone import default_model  # noqa: E402

DATA = Path(__file__).parent / "data"
RECALL_TARGET = 0.95
FALSE_FLAG_TARGET = 0.03


def read_set(path: Path) -> tuple[str, list[tuple[str, str]]]:
    """The file's first comment (its provenance) and (section, sentence) pairs."""
    provenance, section, rows = "", "all", []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("##"):
            section = line.lstrip("#").strip()
        elif line.startswith("#"):
            provenance = provenance or line.lstrip("#").strip()
        else:
            rows.append((section, line))
    return provenance, rows


def _figures(name: str, flagged: list[tuple[str, str]], neutral: list[tuple[str, str]],
             hit: Callable[[str], bool]) -> list[tuple[str, str]]:
    """Print one way of checking's recall and false flags; its misses."""
    missed = [(section, s) for section, s in flagged if not hit(s)]
    recall = (len(flagged) - len(missed)) / len(flagged) if flagged else 0.0
    false_flags = sum(1 for _, s in neutral if hit(s))
    rate = false_flags / len(neutral) if neutral else 0.0
    print(f"{name:<22} recall {len(flagged) - len(missed)}/{len(flagged)} = {recall:.3f} "
          f"({'meets' if recall >= RECALL_TARGET else 'BELOW'} {RECALL_TARGET})   "
          f"false flags {false_flags}/{len(neutral)} = {rate:.3f} "
          f"({'meets' if rate <= FALSE_FLAG_TARGET else 'ABOVE'} {FALSE_FLAG_TARGET})")
    return missed


def report(flag_path: Path, neutral_path: Path) -> None:
    """Print one set's figures: the rules alone, the tone model alone, their union, and the
    check as shipped (the union, with the model setting aside rule findings it reads as
    plainly neutral)."""
    rules, tone = load_rules(), default_model()
    provenance, flagged = read_set(flag_path)
    _, neutral = read_set(neutral_path)
    print(f"== {flag_path.name} / {neutral_path.name}")
    if provenance:
        print(f"   ({provenance})")
    by_rule = {s: bool(check_text(s, rules, tone=None)) for _, s in flagged + neutral}
    by_model = {s: tone.score(s) >= tone.threshold for _, s in flagged + neutral}
    shipped = {s: check_text(s, rules, tone) for _, s in flagged + neutral}
    _figures("rules alone", flagged, neutral, by_rule.__getitem__)
    _figures("tone model alone", flagged, neutral, by_model.__getitem__)
    _figures("union", flagged, neutral, lambda s: by_rule[s] or by_model[s])
    missed = _figures("the check as shipped", flagged, neutral, lambda s: bool(shipped[s]))
    sections = sorted({section for section, _ in flagged})
    if sections != ["all"]:
        for name in sections:
            total = sum(1 for section, _ in flagged if section == name)
            hit = total - sum(1 for section, _ in missed if section == name)
            print(f"  {name}: {hit}/{total}")
    for section, sentence in missed:
        print(f"  missed ({section}, model {tone.score(sentence):.2f}): {sentence}")
    for _, sentence in neutral:
        if shipped[sentence]:
            found = [(f.rule_id, f.phrase) for f in shipped[sentence]]
            print(f"  flagged (model {tone.score(sentence):.2f}): {sentence}  ->  {found}")


def main() -> None:
    """Report every held-out set in bench/data."""
    pairs = []
    for flag_path in sorted(DATA.glob("language_heldout*_flag.txt")):
        neutral_path = flag_path.with_name(flag_path.name.replace("_flag", "_neutral"))
        if neutral_path.exists():
            pairs.append((flag_path, neutral_path))
    if not any("heldout2" in p.name for p, _ in pairs):
        print("The independent held-out set (language_heldout2_*) has not been written yet: "
              "see bench/data/HELDOUT_BRIEF.md.")
    for flag_path, neutral_path in pairs:
        report(flag_path, neutral_path)


if __name__ == "__main__":
    main()
