"""Where a page's time goes: pyinstrument over in-process requests on generated data.

Usage (pyinstrument is not a dependency: `.venv/bin/pip install pyinstrument` first):
  .venv/bin/python bench/profile_pages.py [--scale 0.01] [--requests 20] [--database-url URL]
Profiles the family page, /actions, /chair and the plan API as bench/web.py loads them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def main(args: argparse.Namespace) -> None:
    import httpx
    from pyinstrument import Profiler

    from bench.generate import generate
    from bench.web_child import endpoints, generated_actors
    from tracker import db
    from tracker.app import create_app
    from tracker.cli_support import run_migrations
    from tracker.demo import seed_demo
    from tracker.plans.common import PlanPolicy
    from tracker.settings import get_settings

    with contextlib.redirect_stdout(io.StringIO()):
        assert await run_migrations()
    engine = db.configured_engine()
    await db.start(engine, get_settings())
    await seed_demo(now=datetime.now(UTC) - timedelta(minutes=5),
                    policy=PlanPolicy.from_settings(get_settings()))
    made = await generate(os.environ["DATABASE_URL"], args.scale)
    app = create_app(get_settings(), scheduler=False)
    base = "http://testserver.local"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as client:
        found = await endpoints(client, base, generated_actors(made))
        for name, (path, headers) in found.items():
            client.cookies.clear()
            await client.get(base + path, headers=headers)  # warm
            profiler = Profiler(async_mode="enabled")
            profiler.start()
            for _ in range(args.requests):
                await client.get(base + path, headers=headers)
            profiler.stop()
            print(f"\n===== {name} ({path}), {args.requests} requests")
            print(profiler.output_text(unicode=False, color=False, show_all=False))
    await db.stop(engine)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url", default="")
    ns = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tracker-profile-"))
    os.environ["DATABASE_URL"] = ns.database_url or f"sqlite:///{tmp / 'profile.db'}"
    os.environ.setdefault("TRACKER_ENV", "test")
    os.environ.setdefault("PICCOLO_CONF", "tracker.piccolo_conf")
    os.environ.setdefault("VAR_DIR", str(tmp))
    asyncio.run(main(ns))
