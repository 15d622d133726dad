"""Each app uses the plan policy its own settings give (statutory timings, language rules)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx

from tests.support.factories import make_world
from tracker.app import create_app
from tracker.clock import FixedClock, local_date
from tracker.plans.dates import StatutoryRules, latest_review_for
from tracker.settings import get_settings

ZEBRA_RULES = '''
[[rule]]
id = "zebra"
pattern = 'zebra'
why = "A word this authority has asked its staff not to use."
suggestion = "Ask the family how they would describe it."
'''


async def _answers(app, world, path: str, body: dict | None = None) -> dict:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local") as c:
        if body is None:
            response = await c.get(path, headers=world.lead.headers)
        else:
            response = await c.post(path, json=body, headers=world.lead.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_two_apps_each_use_their_own_statutory_timings_and_language_rules(
        migrated, clock: FixedClock, tmp_path: Path) -> None:
    world = await make_world(clock.now())
    rules = tmp_path / "rules.toml"
    rules.write_text(ZEBRA_RULES)
    standard = create_app(get_settings(), clock=clock, scheduler=False)
    local = create_app(replace(get_settings(), first_review_months=2, language_rules_path=str(rules)),
                       clock=clock, scheduler=False)

    path = f"/api/v1/conferences/{world.conference_id}"
    held_on = local_date(clock.now()) - timedelta(days=7)
    first = {name: (await _answers(app, world, path))["statutory"]["latest_next_review_on"]
             for name, app in (("standard", standard), ("local", local))}
    assert first == {
        "standard": latest_review_for("initial_cp", held_on, StatutoryRules()).isoformat(),
        "local": latest_review_for("initial_cp", held_on, StatutoryRules(first_review_months=2)).isoformat(),
    }
    assert first["local"] < first["standard"]

    text = {"text": "The zebra in the room: we're worried about you."}
    found = {name: {f["rule_id"] for f in (await _answers(app, world, "/api/v1/language/check", text))["findings"]}
             for name, app in (("standard", standard), ("local", local))}
    assert "zebra" in found["local"] and "zebra" not in found["standard"]
    assert "worried_about_you" in found["standard"] and "worried_about_you" not in found["local"]
