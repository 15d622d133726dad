"""Test set-up: a fresh database (SQLite file, or PostgreSQL with TEST_DB=postgres), migrated once.

The environment is set before `tracker` is imported, because Piccolo binds its engine from
DATABASE_URL on first use.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

TEST_DB = os.environ.get("TEST_DB", "sqlite")
TEST_POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
_TMP = Path(tempfile.mkdtemp(prefix="tracker-test-"))
POSTGRES_SKIP_REASON: str | None = None


def _postgres_database() -> str | None:
    """Create a fresh PostgreSQL database for this run; None (with a reason) when unreachable."""
    global POSTGRES_SKIP_REASON
    import asyncpg

    name = f"tracker_test_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        conn = await asyncpg.connect(TEST_POSTGRES_URL, timeout=5)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    try:
        asyncio.run(create())
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        POSTGRES_SKIP_REASON = f"PostgreSQL at {TEST_POSTGRES_URL} is not reachable: {exc!r}"
        return None
    base, _, _ = TEST_POSTGRES_URL.rpartition("/")
    return f"{base}/{name}"


def _drop_postgres_database(url: str) -> None:
    """Drop this run's database (its connections are closed first: FORCE, PostgreSQL 13+)."""
    import asyncpg

    name = url.rpartition("/")[2]

    async def drop() -> None:
        conn = await asyncpg.connect(TEST_POSTGRES_URL, timeout=5)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


_url: str | None = None
if TEST_DB == "postgres":
    _url = _postgres_database()
    os.environ["DATABASE_URL"] = _url or f"sqlite:///{_TMP / 'unused.db'}"
else:
    os.environ["DATABASE_URL"] = f"sqlite:///{_TMP / 'test.db'}"
os.environ["TRACKER_ENV"] = "test"
os.environ["VAR_DIR"] = str(_TMP / "var")
os.environ["PUBLIC_BASE_URL"] = "http://testserver.local"
os.environ.setdefault("PICCOLO_CONF", "tracker.piccolo_conf")

from tracker import bootstrap  # noqa: E402
from tracker.clock import FixedClock  # noqa: E402

# Tests call the services directly too: the domain events need their handlers, as in the app.
bootstrap.wire()

# Tuesday 24 November 2026, 10:00 in London (UTC in winter).
START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A PostgreSQL run drops the database it made (a machine running the suite often would
    otherwise fill its disk with them); KEEP_TEST_DB=1 keeps it to look into a failure."""
    if _url and not os.environ.get("KEEP_TEST_DB"):
        try:
            _drop_postgres_database(_url)
        except Exception as exc:  # noqa: BLE001 - never turn a finished run into a failure
            print(f"\nCould not drop the test database {_url.rpartition('/')[2]}: {exc!r}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On TEST_DB=postgres with no PostgreSQL, skip everything and say why.

    Schemathesis runs last: it writes many rows, which no other test should have to step round.
    """
    items.sort(key=lambda item: item.get_closest_marker("schemathesis") is not None)
    if TEST_DB == "postgres" and POSTGRES_SKIP_REASON:
        marker = pytest.mark.skip(reason=POSTGRES_SKIP_REASON)
        for item in items:
            item.add_marker(marker)


def pytest_report_header(config: pytest.Config) -> str:
    """Name the database the run uses."""
    return f"tracker test database: {TEST_DB} ({os.environ['DATABASE_URL'].split('@')[-1]})"


@pytest.fixture(scope="session")
async def migrated() -> AsyncIterator[None]:
    """The schema, built from empty by the real migrations, once per run."""
    from piccolo.engine import engine_finder

    from tracker import db
    from tracker.cli_support import run_migrations
    from tracker.settings import get_settings

    engine = engine_finder()
    assert await run_migrations()
    await db.start(engine, get_settings())
    yield
    await db.stop(engine)


@pytest.fixture
def clock() -> FixedClock:
    """A clock fixed at START; tests move it on explicitly."""
    return FixedClock(START)


@pytest.fixture
async def app(migrated: None, clock: FixedClock):  # type: ignore[no-untyped-def]
    """The real application, with the test clock."""
    from tracker.app import create_app
    from tracker.settings import get_settings

    return create_app(get_settings(), clock=clock, scheduler=False)


@pytest.fixture
async def client(app):  # type: ignore[no-untyped-def]
    """An HTTP client on the same event loop as the app (no lifespan: the pool is shared)."""
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        yield c


# ---------------------------------------------------------------- browser tests

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def live_clock() -> FixedClock:
    """The clock the live server reads; tests may move it, and it is reset per test."""
    return FixedClock(START)


@pytest.fixture(scope="session")
def live_server(migrated: None, live_clock: FixedClock):  # type: ignore[no-untyped-def]
    """The real app served by uvicorn on a free loopback port, in a thread (SQLite only)."""
    import socket
    import threading
    import time

    import uvicorn

    from tracker.app import create_app
    from tracker.settings import get_settings

    if TEST_DB != "sqlite":
        pytest.skip("browser tests run against the SQLite build (the live server has its own loop)")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    app = create_app(get_settings(), clock=live_clock, scheduler=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="session")
async def browser():  # type: ignore[no-untyped-def]
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 - one stat at session start
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        await b.close()


@pytest.fixture
async def page(browser, live_clock: FixedClock):  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookies) and page; the live clock is reset to START."""
    live_clock.at = START
    context = await browser.new_context()
    pg = await context.new_page()
    yield pg
    await context.close()


@pytest.fixture
async def phone_page(browser, live_clock: FixedClock):  # type: ignore[no-untyped-def]
    """A phone-sized page (360x740, touch) in a fresh context."""
    live_clock.at = START
    context = await browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True,
                                        is_mobile=True, device_scale_factor=2)
    pg = await context.new_page()
    yield pg
    await context.close()
