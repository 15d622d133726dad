"""The README's settings table is generated from the settings, so it cannot drift."""

import re
from pathlib import Path

from tracker.settings import settings_table


def test_readme_lists_every_setting_with_its_default():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    table = re.search(r"<!-- settings-table:start -->\n(.*)\n<!-- settings-table:end -->", readme, re.S)
    assert table, "README has no settings table markers"
    assert table.group(1).strip() == settings_table().strip(), (
        "README settings table is stale: run .venv/bin/python scripts/update_readme_settings.py")


def test_readme_quick_start_is_the_two_commands():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
