"""Regenerate the README's settings table from tracker/settings.py (run after adding a setting)."""

import re
from pathlib import Path

from tracker.settings import settings_table

README = Path(__file__).resolve().parent.parent / "README.md"
text = README.read_text()
text = re.sub(r"<!-- settings-table:start -->.*<!-- settings-table:end -->",
              "<!-- settings-table:start -->\n" + settings_table() + "\n<!-- settings-table:end -->",
              text, flags=re.S)
README.write_text(text)
