"""Language check on held-out sentence sets: recall, false flags, recall by construct.

Each set is a pair bench/data/language_heldout<N>_flag.txt / _neutral.txt. A line "## name"
starts a construct section in a flag file; lines starting with "#" are comments (the first
says who wrote the set). Sets are reported separately, with their provenance, so an
independent set is never mixed with one its rules were written against.
Targets (issue 13): recall >= 0.95, false flags <= 0.03.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracker.plans.language import check_text, load_rules  # noqa: E402

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


def report(flag_path: Path, neutral_path: Path) -> None:
    """Print one set's figures."""
    rules = load_rules()
    provenance, flagged = read_set(flag_path)
    _, neutral = read_set(neutral_path)
    print(f"== {flag_path.name} / {neutral_path.name}")
    if provenance:
        print(f"   ({provenance})")
    missed = [(section, s) for section, s in flagged if not check_text(s, rules)]
    recall = (len(flagged) - len(missed)) / len(flagged) if flagged else 0.0
    ok = "meets" if recall >= RECALL_TARGET else "BELOW"
    print(f"recall: {len(flagged) - len(missed)}/{len(flagged)} = {recall:.3f} "
          f"({ok} the {RECALL_TARGET} target)")
    sections = sorted({section for section, _ in flagged})
    if sections != ["all"]:
        for name in sections:
            total = sum(1 for section, _ in flagged if section == name)
            hit = total - sum(1 for section, _ in missed if section == name)
            print(f"  {name}: {hit}/{total}")
    for section, sentence in missed:
        print(f"  missed ({section}): {sentence}")
    false_flags = [(s, check_text(s, rules)) for _, s in neutral]
    false_flags = [(s, f) for s, f in false_flags if f]
    rate = len(false_flags) / len(neutral) if neutral else 0.0
    ok = "meets" if rate <= FALSE_FLAG_TARGET else "ABOVE"
    print(f"false flags: {len(false_flags)}/{len(neutral)} = {rate:.3f} "
          f"({ok} the {FALSE_FLAG_TARGET} target)")
    for sentence, findings in false_flags:
        print(f"  flagged: {sentence}  ->  {[(f.rule_id, f.phrase) for f in findings]}")


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
