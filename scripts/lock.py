"""The lock file: every package `make setup` (and so `make run`, `make test`, CI) installs, with hashes.

    python scripts/lock.py             # bring requirements.lock in line with pyproject.toml (`make lock`)
    python scripts/lock.py --upgrade   # the same, moving every package to its newest allowed version
    python scripts/lock.py --check     # fail when pyproject.toml's dependencies changed since

pyproject.toml keeps compatible ranges (for anyone installing the package); requirements.lock
pins one tested version of each package, for Python 3.11 and later on any platform (uv's
universal resolution), each with the sha256 of every file PyPI publishes for it, so
`pip install --require-hashes` refuses anything else. The lock's header records a hash of
pyproject's dependency lists; `--check` (run by `make setup` and by a unit test) compares it,
so a dependency added without regenerating the lock fails at once with the fix spelled out.

Regenerating needs uv (`make lock` installs it into .venv from PyPI) and the network.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements.lock"
MARKER = "# pyproject-dependencies-sha256: "
EXTRAS = ("test",)
PYTHON_VERSION = "3.11"  # the oldest Python pyproject allows: the lock holds for it and later


def dependencies_digest(pyproject: Path = PYPROJECT) -> str:
    """sha256 of what the lock is made from: requires-python, dependencies and the locked extras.

    Order and spacing inside the lists do not matter; any change of a requirement does.
    """
    project = tomllib.loads(pyproject.read_text())["project"]
    extras = project.get("optional-dependencies", {})

    def canonical(requirements: list[str]) -> list[str]:
        return sorted("".join(r.split()).lower() for r in requirements)

    data = {
        "requires-python": project.get("requires-python", ""),
        "dependencies": canonical(project.get("dependencies", [])),
        "extras": {name: canonical(extras.get(name, [])) for name in EXTRAS},
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def recorded_digest(lock: Path = LOCK) -> str | None:
    """The digest written into the lock's header, or None (no lock, or no header)."""
    if not lock.exists():
        return None
    for line in lock.read_text().splitlines():
        if line.startswith(MARKER):
            return line[len(MARKER):].strip()
        if not line.startswith("#"):
            break
    return None


def check(pyproject: Path = PYPROJECT, lock: Path = LOCK) -> str | None:
    """None when the lock matches pyproject.toml, else what is wrong and how to fix it."""
    recorded = recorded_digest(lock)
    if recorded is None:
        return f"{lock.name} is missing or has no dependency hash: run `make lock` and commit it."
    if recorded != dependencies_digest(pyproject):
        return (f"pyproject.toml's dependencies changed since {lock.name} was generated: "
                f"run `make lock` and commit {lock.name} with the change.")
    return None


def find_uv() -> str:
    """uv beside this Python (make lock installs it into .venv), else on PATH."""
    here = Path(sys.executable).parent / "uv"
    if here.exists():
        return str(here)
    found = shutil.which("uv")
    if found is None:
        sys.exit("uv is not installed: run `make lock` (it installs uv into .venv).")
    return found


def generate(*, upgrade: bool = False) -> None:
    """Resolve pyproject.toml and write the lock.

    Versions already in the lock are kept while pyproject still allows them (uv prefers what
    the output file pins), so adding one dependency moves nothing else; `upgrade` takes the
    newest allowed version of everything.
    """
    digest = dependencies_digest()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "requirements.lock"
        if LOCK.exists() and not upgrade:
            shutil.copyfile(LOCK, out)
        command = [
            find_uv(), "pip", "compile", "pyproject.toml", *[f"--extra={e}" for e in EXTRAS],
            "--generate-hashes", "--universal", f"--python-version={PYTHON_VERSION}",
            "--no-header", "--quiet", "--output-file", str(out), *(["--upgrade"] if upgrade else []),
        ]
        # PyPI only (not a local mirror or wheel folder a machine may be configured with), so
        # the hashes are PyPI's and the lock installs the same anywhere.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
        env["UV_INDEX_URL"] = "https://pypi.org/simple"
        subprocess.run(command, cwd=ROOT, env=env, check=True)  # noqa: S603 - fixed arguments
        body = out.read_text()
    header = (
        "# requirements.lock: every package `make setup` installs, pinned, with hashes.\n"
        "# Made by `make lock` (scripts/lock.py: uv pip compile --universal --generate-hashes) from\n"
        "# pyproject.toml's dependencies and its [test] extra. Do not edit by hand: change\n"
        "# pyproject.toml, run `make lock`, commit both.\n"
        f"{MARKER}{digest}\n"
    )
    LOCK.write_text(header + body)
    count = sum(1 for line in body.splitlines() if "==" in line and not line.startswith(" "))
    print(f"wrote {LOCK.name}: {count} packages")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check the lock is up to date")
    parser.add_argument("--upgrade", action="store_true", help="newest allowed version of everything")
    args = parser.parse_args()
    if args.check:
        problem = check()
        if problem:
            sys.exit(f"error: {problem}")
        print(f"{LOCK.name} matches pyproject.toml")
        return
    generate(upgrade=args.upgrade)


if __name__ == "__main__":
    main()
