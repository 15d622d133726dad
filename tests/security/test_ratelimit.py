"""Rate limits are counted in the database, per key and window."""

from datetime import timedelta

from tracker.security.ratelimit import Limit, attempts, hit, prune, reset

LIMIT = Limit(attempts=3, window=60)


async def test_fourth_attempt_in_a_window_is_refused_and_the_next_window_starts_afresh(migrated, clock):
    key = f"test:{clock.now().timestamp()}:a"
    results = [await hit(key, LIMIT, now=clock.now()) for _ in range(4)]
    assert results == [True, True, True, False]
    assert await attempts(key, LIMIT, now=clock.now()) == 4
    clock.advance(seconds=61)
    assert await hit(key, LIMIT, now=clock.now()) is True


async def test_keys_are_counted_separately_and_reset_forgets(migrated, clock):
    a, b = "test:sep:a", "test:sep:b"
    for _ in range(3):
        await hit(a, LIMIT, now=clock.now())
    assert await hit(b, LIMIT, now=clock.now()) is True
    await reset(a)
    assert await attempts(a, LIMIT, now=clock.now()) == 0


async def test_prune_removes_old_windows(migrated, clock):
    await hit("test:prune", LIMIT, now=clock.now() - timedelta(days=3))
    assert await prune(now=clock.now()) >= 1
    assert await attempts("test:prune", LIMIT, now=clock.now() - timedelta(days=3)) == 0
