"""The `tracker` command: serve, migrate, demo, create-user, api-token (and what packages add)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from tracker.clock import Clock, FixedClock, SystemClock, parse_now
from tracker.settings import Settings, SettingsError, get_settings

Handler = Callable[[argparse.Namespace, Clock], Awaitable[int]]
_HANDLERS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    """Register an async command handler under a sub-command name."""

    def register(fn: Handler) -> Handler:
        _HANDLERS[name] = fn
        return fn

    return register


async def _with_db(fn: Callable[[], Awaitable[int]]) -> int:
    from piccolo.engine import engine_finder

    from tracker import db

    engine = engine_finder()
    await db.start(engine, get_settings())
    try:
        return await fn()
    finally:
        await db.stop(engine)


async def run_migrations() -> bool:
    """Bring the database schema up to date (idempotent)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="all", migration_id="all", fake=False)
    return bool(result.success)


@command("migrate")
async def _migrate(args: argparse.Namespace, clock: Clock) -> int:
    ok = await run_migrations()
    print("Database is up to date." if ok else "Migrations failed: see above.")
    return 0 if ok else 1


@command("demo")
async def _demo(args: argparse.Namespace, clock: Clock) -> int:
    from tracker.demo import seed_demo

    async def go() -> int:
        report = await seed_demo(now=clock.now(), only_if_empty=args.if_empty)
        print(report)
        return 0

    return await _with_db(go)


@command("create-user")
async def _create_user(args: argparse.Namespace, clock: Clock) -> int:
    from tracker.accounts import create_user
    from tracker.errors import FieldErrors
    from tracker.plans.audit import Actor

    password = args.password
    if password is None and sys.stdin.isatty():
        password = getpass.getpass("Password (leave empty for none): ") or None

    async def go() -> int:
        try:
            user_id = await create_user(
                email=args.email, name=args.name, roles=args.role, password=password,
                role_title=args.role_title, agency=args.agency, actor=Actor.system("cli"),
                now=clock.now(),
            )
        except FieldErrors as exc:
            for field, message in exc.errors.items():
                print(f"{field}: {message}", file=sys.stderr)
            return 2
        print(f"Created user {user_id} ({args.email}).")
        return 0

    return await _with_db(go)


@command("api-token")
async def _api_token(args: argparse.Namespace, clock: Clock) -> int:
    from tracker.accounts import issue_api_token
    from tracker.plans.audit import Actor
    from tracker.plans.tables import StaffUser

    async def go() -> int:
        user = await StaffUser.select(StaffUser.id, StaffUser.active).where(
            StaffUser.email == args.email.strip().lower()).first()
        if user is None or not user["active"]:
            print(f"No active user has the email {args.email}.", file=sys.stderr)
            return 2
        token = await issue_api_token(user_id=user["id"], actor=Actor.system("cli"),
                                      now=clock.now(), label=args.label)
        print(token)
        return 0

    return await _with_db(go)


def _serve(args: argparse.Namespace, clock: Clock) -> int:
    import uvicorn

    from tracker.app import create_app

    settings = get_settings()
    host = args.host or settings.host
    port = args.port or settings.port
    app = create_app(settings, clock=clock, scheduler=not args.no_scheduler)
    uvicorn.run(app, host=host, port=port, log_level="info", **uvicorn_proxy_options(settings))
    return 0


def uvicorn_proxy_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn treats X-Forwarded-For/-Proto: believed only from TRUSTED_PROXIES.

    uvicorn's default trusts 127.0.0.1 (and FORWARDED_ALLOW_IPS from the environment), so the
    clients of any local proxy could name themselves any address and walk past every
    per-address rate limit. With no trusted proxies the headers are not read at all.
    """
    proxies = settings.trusted_proxy_list
    # uvicorn's own access log would write secret tokens in paths; ours redacts them.
    options: dict[str, Any] = {"access_log": False, "proxy_headers": bool(proxies)}
    if proxies:
        options["forwarded_allow_ips"] = proxies
    return options


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    parser = argparse.ArgumentParser(prog="tracker", description=__doc__)
    parser.add_argument(
        "--now", help="pretend it is this ISO-8601 time (naive = Europe/London); for operators "
        "and tests", default=None,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the web app and API")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--no-scheduler", action="store_true",
                       help="web only: do not tick the nudge dispatcher in this process")

    sub.add_parser("migrate", help="create or update the database schema")

    demo = sub.add_parser("demo", help="add the demo family, plan and people (idempotent)")
    demo.add_argument("--if-empty", action="store_true",
                      help="only when the database has no families yet")

    user = sub.add_parser("create-user", help="add a professional")
    user.add_argument("--email", required=True)
    user.add_argument("--name", required=True)
    user.add_argument("--role", action="append", choices=["professional", "chair", "admin"],
                      required=True, help="repeat for several roles")
    user.add_argument("--password", default=None)
    user.add_argument("--role-title", default="")
    user.add_argument("--agency", default="")

    token = sub.add_parser("api-token", help="print a new API token for a professional")
    token.add_argument("--email", required=True)
    token.add_argument("--label", default="cli")

    for extend in EXTENSIONS:
        extend(sub)
    return parser


# Packages add their own sub-commands here: each callable gets the sub-parsers object.
EXTENSIONS: list[Callable[[argparse._SubParsersAction], None]] = []  # type: ignore[type-arg]


def _nudges_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from tracker.notify.cli import add_commands

    add_commands(sub, command)


EXTENSIONS.append(_nudges_commands)


def _family_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from tracker.family.cli import add_commands

    add_commands(sub, command)


EXTENSIONS.append(_family_commands)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `tracker` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        get_settings()
    except SettingsError as exc:
        print(f"Settings: {exc}", file=sys.stderr)
        return 2
    clock: Clock = FixedClock(parse_now(args.now)) if args.now else SystemClock()
    if args.command == "serve":
        return _serve(args, clock)
    handler = _HANDLERS[args.command]
    return asyncio.run(handler(args, clock))


if __name__ == "__main__":
    sys.exit(main())
