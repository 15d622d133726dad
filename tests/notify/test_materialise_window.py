"""The dispatcher's fast path wants exactly what the rules over every action want.

A tick reads only the actions whose nudges can be open now (`due_window`: due near today, or a
routine; every action while the weekly digest is open), builds only the nudges whose window is
open, and remembers the calendar's answers. Each is checked here against the plain way on
generated data: every action read, every nudge built, then filtered by its window. Compared
field by field, context included, across a year of instants (bank holidays, Christmas, the
digest's Monday morning, either side of the nudge time).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.support.factories import make_world
from tracker.notify.rules import (
    ActionFacts,
    ConferenceFacts,
    InviteeFacts,
    MemberFacts,
    Nudge,
    PlanState,
    RememberingCalendar,
    RuleSettings,
    all_nudges,
    digest_open,
    due_window,
    nudges_due,
)
from tracker.notify.state import load_state
from tracker.plans.dates import WorkingCalendar
from tracker.plans.tables import Action

CAL = WorkingCalendar.england()
CFG = RuleSettings()
LONDON = CFG.tz
STATUSES = ("not_started", "in_progress", "done", "not_achieved", "cancelled")


def as_compared(nudges: list[Nudge]) -> list[tuple[object, ...]]:
    """Every field, the context too (Nudge equality leaves it out), in key order."""
    return sorted((n.key, n.rule, n.channel, n.template, repr(sorted(n.context.items())),
                   n.due_at, n.until, n.family_id, n.recipient_user_id, n.recipient_member_id)
                  for n in nudges)


def plain_way(state: PlanState, now: datetime) -> list[Nudge]:
    """Every nudge built over every action, then those whose window is open at `now`."""
    return [n for n in all_nudges(state, now, CAL, CFG) if n.due_at <= now < n.until]


def in_window(a: ActionFacts, window: tuple[date, date] | None) -> bool:
    """What load_state's WHERE keeps (the SQL is checked against this on a database below)."""
    if window is None or a.due_on is None or a.repeats != "":
        return True
    return window[0] <= a.due_on <= window[1]


def generated_state(seed: int, today: date) -> PlanState:
    """A few hundred actions of every kind, due from eleven weeks before to five after today."""
    rng = random.Random(seed)
    members = tuple(MemberFacts(id=100 + i, family_id=1 + i % 20, name=f"Adult {i}",
                                preferred_channel=rng.choice(("sms", "email", "none")))
                    for i in range(40))
    actions = []
    for i in range(600):
        due = today + timedelta(days=rng.randint(-80, 40))
        member = rng.random() < 0.5
        routine = rng.random() < 0.1
        actions.append(ActionFacts(
            id=1000 + i, plan_id=1 + i % 20, family_id=1 + i % 20, family_name=f"Family {i % 20}",
            description=f"Step {i}", due_on=None if routine else due,
            status=rng.choice(STATUSES), owner_user_id=None if member else 50 + i % 7,
            owner_member_id=members[i % 40].id if member else None,
            updated_on=rng.choice((None, due - timedelta(days=3), due + timedelta(days=rng.randint(0, 30)))),
            repeats=rng.choice(("each_day", "days")) if routine else "",
            repeat_days="mon,thu" if routine else "",
            review_on=today + timedelta(days=rng.randint(-10, 60)) if routine else None,
            check_in="your mornings" if routine else "",
            created_on=today - timedelta(days=rng.randint(0, 40)),
        ))
    conferences = tuple(ConferenceFacts(
        id=500 + i, family_id=1 + i % 20, family_name=f"Family {i % 20}",
        kind=rng.choice(("review_cp", "initial_cp", "review_cin")),
        starts_at=datetime.combine(today + timedelta(days=rng.randint(-2, 30)), time(10), LONDON),
        chair_id=60 + i % 3, plan_id=1 + i % 20,
        invitees=tuple(InviteeFacts(user_id=70 + j, report_due_on=None, submitted=rng.random() < 0.3)
                       for j in range(3)),
    ) for i in range(30))
    return PlanState(actions=tuple(actions), conferences=conferences, members=members)


def instants() -> list[datetime]:
    """Every 31 hours over a year (so every hour of the day comes round), plus the edges."""
    start = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    found = [start + timedelta(hours=31 * n) for n in range(283)]
    for day in (date(2026, 12, 24), date(2026, 12, 28), date(2027, 1, 4), date(2026, 11, 30)):
        for at in (time(8, 0), time(8, 30), time(9, 29), time(9, 30), time(23, 59)):
            found.append(datetime.combine(day, at, LONDON).astimezone(UTC))
    return found


def test_the_fast_path_wants_exactly_what_the_rules_over_every_action_want() -> None:
    compared = digests = 0
    for n, now in enumerate(instants()):
        today = now.astimezone(LONDON).date()
        state = generated_state(n, today)
        window = due_window(now, CFG)
        read = PlanState(actions=tuple(a for a in state.actions if in_window(a, window)),
                         conferences=state.conferences, members=state.members)
        fast = nudges_due(read, now, RememberingCalendar(CAL), CFG)
        plain = plain_way(state, now)
        assert as_compared(fast) == as_compared(plain), now
        compared += len(plain)
        digests += digest_open(now, CFG)
        if window is not None:
            # The window leaves most actions unread (it would prove nothing if it kept them all).
            assert len(read.actions) < len(state.actions) * 0.75
    # Enough happened for the comparison to mean something: nudges of every kind, digests too.
    assert compared > 10_000 and digests >= 4


def test_the_digest_reads_every_action_and_other_ticks_a_window_around_today() -> None:
    monday = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 08:00 in London: the digest opens
    assert due_window(monday, CFG) is None
    assert due_window(monday - timedelta(minutes=1), CFG) is not None
    assert due_window(monday + timedelta(hours=23, minutes=59), CFG) is None
    earliest, latest = due_window(monday + timedelta(days=1), CFG) or (None, None)
    assert earliest == date(2026, 12, 1) - timedelta(days=7 * CFG.overdue_max + 14)
    assert latest == date(2026, 12, 1) + timedelta(days=2 * CFG.professional_working_days_before + 14)


@pytest.mark.usefixtures("clean_outbox")
async def test_reading_the_window_from_the_database_reads_what_the_rules_need(clock) -> None:  # type: ignore[no-untyped-def]
    """The WHERE clause (dates compared in SQL, on both databases) against reading everything."""
    world = await make_world(clock.now())
    rng = random.Random(12)
    today = clock.now().astimezone(LONDON).date()
    made = []
    for i in range(120):
        routine = i % 10 == 0
        made.append(Action(
            plan=world.plan_id, outcome=world.outcome_id, description=f"Generated step {i}",
            owner_user=world.invitee.id if i % 2 else None,
            owner_member=None if i % 2 else world.family["members"][0]["id"],
            due_on=None if routine else today + timedelta(days=rng.randint(-90, 60)),
            status=rng.choice(STATUSES), repeats="days" if routine else "",
            repeat_days="tue" if routine else "", check_in="your evenings" if routine else "",
            review_on=today + timedelta(days=40) if routine else None,
            created_at=clock.now() - timedelta(days=20), updated_at=clock.now() - timedelta(days=5)))
    await Action.insert(*made)
    ours = {a["id"] for a in await Action.select(Action.id).where(Action.plan == world.plan_id)}
    for days in range(-60, 61, 9):
        now = clock.now() + timedelta(days=days, hours=days % 7)
        window = due_window(now, CFG)
        everything = await load_state(now)
        windowed = await load_state(now, None, window)
        expected = {a.id for a in everything.actions if in_window(a, window)}
        assert {a.id for a in windowed.actions} == expected
        assert as_compared(nudges_due(windowed, now, RememberingCalendar(CAL), CFG)) == \
            as_compared(plain_way(everything, now))
        # Some of this test's actions were left unread, and some read.
        assert ours - expected and ours & expected
