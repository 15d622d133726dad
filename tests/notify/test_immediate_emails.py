"""Emails a person is waiting for (a reset link) ignore quiet hours; nudges still wait; secrets go."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest

from tests.support.factories import make_user
from tracker.bootstrap import build_dispatcher, housekeeping
from tracker.notify.outbox import enqueue
from tracker.notify.providers import providers_for
from tracker.notify.tables import Outbox

pytestmark = pytest.mark.usefixtures("clean_outbox")

# Tuesday 1 December 2026, 22:30 in London: past the 21:00 end of the email window.
LATE = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)


async def test_a_reset_link_asked_for_late_at_night_is_sent_at_once_and_not_kept(
        clock, real_settings, smtp_server):
    user = await make_user(clock.now())
    clock.at = LATE
    link = "http://testserver.local/reset/secret-token-abc"
    reset = await enqueue(channel="email", template="password_reset", due_at=LATE,
                          key=f"test-reset:{user.id}", recipient_user_id=user.id,
                          context={"name": user.name, "link": link, "minutes": 10, "hours": 0})
    digest = await enqueue(channel="email", template="family_update_to_lead", due_at=LATE,
                           key=f"test-digest:{user.id}", recipient_user_id=user.id,
                           context={"lead_name": user.name, "member_name": "Jess", "family_name": "F",
                                    "what": "marked a step done", "link": "http://testserver.local/actions"})
    dispatcher = build_dispatcher(real_settings, clock, providers_for(real_settings), rng=random.Random(1))
    try:
        await dispatcher.tick()
    finally:
        await dispatcher.providers.close()
    rows = {r["id"]: r for r in await Outbox.select().where(Outbox.id.is_in([reset, digest]))}
    assert rows[reset]["status"] == "sent"
    [mail] = smtp_server.to(user.email)
    assert link in mail.get_body(("plain",)).get_content()
    assert link not in rows[reset]["context"] and json.loads(rows[reset]["context"])["link"] == "(sent)"
    # An ordinary email waits for the morning (07:00 London).
    assert rows[digest]["status"] == "pending"
    assert rows[digest]["next_attempt_at"] == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)


async def test_housekeeping_deletes_spent_sessions_and_rate_limit_windows(clock, real_settings):
    from datetime import timedelta

    from tracker.security.ratelimit import Limit, attempts, hit

    old = clock.now() - timedelta(days=3)
    await hit("test:housekeeping", Limit(attempts=5, window=60), now=old)
    await housekeeping(clock)
    assert await attempts("test:housekeeping", Limit(attempts=5, window=60), now=old) == 0
