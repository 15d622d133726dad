"""Language check on held-out sentences (written after the rules were fixed): hits and false flags."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracker.plans.language import check_text  # noqa: E402

DATA = Path(__file__).parent / "data"


def sentences(name: str) -> list[str]:
    lines = (DATA / name).read_text().splitlines()
    return [s for s in lines if s.strip() and not s.startswith("#")]


def main() -> None:
    flag = sentences("language_heldout_flag.txt")
    neutral = sentences("language_heldout_neutral.txt")
    missed = [s for s in flag if not check_text(s)]
    false_flags = [(s, [f.phrase for f in check_text(s)]) for s in neutral if check_text(s)]
    print(f"held-out recall: {len(flag) - len(missed)}/{len(flag)}")
    for s in missed:
        print(f"  missed: {s}")
    print(f"held-out false flags: {len(false_flags)}/{len(neutral)}")
    for s, phrases in false_flags:
        print(f"  flagged: {s}  ->  {phrases}")


if __name__ == "__main__":
    main()
