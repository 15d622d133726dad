"""Helpers for browser tests: the one axe-core accessibility check on a Playwright page."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent.parent / "assets" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# page name -> number of axe violations, for the summary some browser test files print (-s).
AXE_RESULTS: dict[str, int] = {}


async def axe_violations(page: Any, exclude: list[str] | None = None) -> list[dict[str, Any]]:
    """Run axe-core's WCAG 2.2 A/AA rules on the page; returns the violations (empty is good).

    The script is evaluated rather than added with add_script_tag, which would need the page's
    Content-Security-Policy relaxed: the pages are checked under their real CSP.
    """
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text() + "\n;undefined")
    violations: list[dict[str, Any]] = await page.evaluate(
        """async ([tags, exclude]) => {
            const context = exclude.length ? {exclude: exclude.map(s => [s])} : document;
            const result = await axe.run(context, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }""",
        [WCAG_TAGS, exclude or []],
    )
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    """A readable list of violations for an assertion message."""
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in violations)


async def assert_axe_clean(page: Any, name: str) -> None:
    """axe on the whole page, layout included; the count is kept in AXE_RESULTS.

    With SCREENSHOT_DIR set, each checked page is also saved as a full-page PNG to look at.
    """
    violations = await axe_violations(page)
    AXE_RESULTS[name] = len(violations)
    if folder := os.environ.get("SCREENSHOT_DIR"):
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        await page.screenshot(path=f"{folder}/{slug}.png", full_page=True)
    assert not violations, f"{name}:\n{describe(violations)}"
