"""requirements.lock (what make setup, make run, make test and CI install) matches pyproject.toml."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("lock_script", ROOT / "scripts" / "lock.py")
assert spec and spec.loader
lock = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lock)


def test_the_lock_was_made_from_the_current_pyproject():
    problem = lock.check()
    assert problem is None, problem


def test_every_locked_package_is_pinned_with_a_hash():
    text = (ROOT / "requirements.lock").read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 5)[-1])
    pins = [e for e in entries if not e.startswith("#") and e.strip()]
    assert len(pins) > 40
    for entry in pins:
        assert re.match(r"^[A-Za-z0-9._-]+(\[[^\]]+\])?==[^\s;]+", entry), entry[:80]
        assert "--hash=sha256:" in entry, entry[:80]
    names = {re.match(r"^([A-Za-z0-9._-]+)", e).group(1).lower() for e in pins}  # type: ignore[union-attr]
    assert {"litestar", "piccolo", "authlib", "pytest"} <= names


def test_a_dependency_added_without_relocking_is_caught(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    original = (ROOT / "pyproject.toml").read_text()
    pyproject.write_text(original)
    assert lock.check(pyproject, ROOT / "requirements.lock") is None
    # Reordering and spacing are not changes; a new requirement or a changed range is.
    changed = original.replace('"jinja2>=3.1,<4",', '"jinja2 >= 3.1, < 4",')
    pyproject.write_text(changed)
    assert lock.check(pyproject, ROOT / "requirements.lock") is None
    pyproject.write_text(original.replace('"jinja2>=3.1,<4",', '"jinja2>=3.1,<4",\n    "left-pad>=1,<2",'))
    problem = lock.check(pyproject, ROOT / "requirements.lock")
    assert problem is not None and "run `make lock`" in problem
    pyproject.write_text(original.replace('"jinja2>=3.1,<4",', '"jinja2>=3.2,<4",'))
    assert lock.check(pyproject, ROOT / "requirements.lock") is not None
    assert lock.check(pyproject, tmp_path / "missing.lock") is not None


def test_setup_installs_only_from_the_lock_and_checks_it_first():
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^\$\(STAMP\):.*?\n\n", makefile, re.M | re.S)
    assert recipe, "the setup stamp rule is missing"
    lines = [line.strip() for line in recipe.group(0).splitlines()[1:] if line.strip()]
    assert "$(LOCKFILE)" in recipe.group(0).splitlines()[0]  # a new lock means a fresh install
    assert lines[0] == "@$(PYTHON) scripts/lock.py --check"
    installs = [line for line in lines if "pip install" in line]
    assert installs == ["$(PY) -m pip install --quiet --require-hashes -r $(LOCKFILE)",
                        "$(PY) -m pip install --quiet --no-deps -e ."]
    assert re.search(r"^lock:", makefile, re.M)
    assert "scripts/lock.py --check" in (ROOT / ".ci" / "run").read_text()
