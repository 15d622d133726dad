"""The `tracker` command: serve, migrate, demo, create-user, api-token (and what packages add).

This is a composition root: it reads the settings once, makes the clock, and hands both to
every command; nothing below reads settings for itself.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable
from typing import Any

import uvicorn

from tracker import bootstrap
from tracker.app import create_app
from tracker.audit import Actor
from tracker.cli_support import HANDLERS, SubParsers, command, print_errors, run_migrations, with_db
from tracker.clock import Clock, FixedClock, SystemClock, parse_now
from tracker.demo_voice import seed_full_demo
from tracker.errors import FieldErrors
from tracker.family import cli as family_cli
from tracker.notify import cli as notify_cli
from tracker.notify.outbox import send_windows
from tracker.notify.providers import providers_for
from tracker.ops.logs import configure_logging
from tracker.people.accounts import create_user, issue_api_token
from tracker.people.tables import StaffUser
from tracker.plans.common import PlanPolicy
from tracker.settings import Settings, SettingsError, get_settings

__all__ = ["build_parser", "main", "run_migrations"]


@command("migrate")
async def _migrate(args: argparse.Namespace, clock: Clock, settings: Settings) -> int:
    ok = await run_migrations()
    print("Database is up to date." if ok else "Migrations failed: see above.")
    return 0 if ok else 1


@command("demo")
async def _demo(args: argparse.Namespace, clock: Clock, settings: Settings) -> int:
    async def go() -> int:
        report = await seed_full_demo(
            now=clock.now(), policy=PlanPolicy.from_settings(settings),
            windows=send_windows(settings), only_if_empty=args.if_empty)
        print(report)
        return 0

    return await with_db(settings, go)


@command("create-user")
async def _create_user(args: argparse.Namespace, clock: Clock, settings: Settings) -> int:
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
            return print_errors(exc.errors)
        print(f"Created user {user_id} ({args.email}).")
        return 0

    return await with_db(settings, go)


@command("api-token")
async def _api_token(args: argparse.Namespace, clock: Clock, settings: Settings) -> int:
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

    return await with_db(settings, go)


@command("nudges")
async def _nudges(args: argparse.Namespace, clock: Clock, settings: Settings) -> int:
    if args.nudges_now:
        clock = FixedClock(parse_now(args.nudges_now))

    async def go() -> int:
        providers = providers_for(settings)
        try:
            dispatcher = bootstrap.build_dispatcher(settings, clock, providers)
            return await notify_cli.run_dispatcher(
                dispatcher, once=args.once, quiet=args.quiet,
                interval_seconds=settings.dispatch_interval_seconds)
        finally:
            await providers.close()

    return await with_db(settings, go)


def _serve(args: argparse.Namespace, clock: Clock, settings: Settings) -> int:
    host = args.host or settings.host
    port = args.port or settings.port
    configure_logging(settings)
    app = create_app(settings, clock=clock, scheduler=not args.no_scheduler)
    # uvicorn's loggers write through our handler (LOG_FORMAT), so uvicorn configures none itself.
    # On SIGTERM uvicorn stops accepting, lets requests in flight finish (for at most
    # SHUTDOWN_GRACE_SECONDS), then runs the lifespan's shutdown (the pool closes): a rolling
    # restart loses no request.
    uvicorn.run(app, host=host, port=port, log_level="info", log_config=None,
                timeout_graceful_shutdown=settings.shutdown_grace_seconds,
                **uvicorn_proxy_options(settings))
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


# Packages add their own sub-commands: each callable gets the sub-parsers object.
EXTENSIONS: list[Callable[[SubParsers], None]] = [notify_cli.add_commands, family_cli.add_commands]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `tracker` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"Settings: {exc}", file=sys.stderr)
        return 2
    bootstrap.wire()
    clock: Clock = FixedClock(parse_now(args.now)) if args.now else SystemClock()
    if args.command == "serve":
        return _serve(args, clock, settings)
    handler = HANDLERS[args.command]
    return asyncio.run(handler(args, clock, settings))


if __name__ == "__main__":
    sys.exit(main())
