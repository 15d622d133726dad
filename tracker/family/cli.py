"""`tracker family-link`: print a fresh plan link for a family member (demo and staff use)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from tracker.clock import Clock


def add_commands(sub: argparse._SubParsersAction, command: Callable[[str], Any]) -> None:  # type: ignore[type-arg]
    """Register `family-link` with the `tracker` command (`command` is tracker.cli's registrar)."""
    parser = sub.add_parser(
        "family-link",
        help="print a fresh plan link for a family member (replaces their old link)",
    )
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--member", type=int, help="the family member's id")
    who.add_argument("--demo", action="store_true",
                     help="the demo family's first adult who is safe to contact")
    command("family-link")(_family_link)


async def _family_link(args: argparse.Namespace, clock: Clock) -> int:
    from tracker.cli import _with_db
    from tracker.errors import FieldErrors, NotFound
    from tracker.family.links import issue_link
    from tracker.plans.audit import Actor

    async def go() -> int:
        member_id = args.member
        if args.demo:
            from tracker.demo import demo_member_ids

            ids = await demo_member_ids()
            if not ids:
                print("The demo is not here yet: run `tracker demo` first.", file=sys.stderr)
                return 2
            member_id = ids[0]
        try:
            url = await issue_link(member_id=member_id, now=clock.now(),
                                   actor=Actor.system("cli"))
        except NotFound:
            print(f"There is no family member {member_id}.", file=sys.stderr)
            return 2
        except FieldErrors as exc:
            for message in exc.errors.values():
                print(message, file=sys.stderr)
            return 2
        print(url)
        return 0

    return await _with_db(go)
