"""`tracker family-link`: print a fresh plan link for a family member (demo and staff use)."""

from __future__ import annotations

import argparse
import sys

from tracker.audit import Actor
from tracker.cli_support import SubParsers, command, print_errors, with_db
from tracker.clock import Clock
from tracker.demo import demo_member_ids
from tracker.errors import FieldErrors, NotFound
from tracker.family.links import LinkPolicy, issue_link
from tracker.settings import Settings


def add_commands(sub: SubParsers) -> None:
    """Add `family-link` to the tracker command."""
    parser = sub.add_parser(
        "family-link",
        help="print a family member's plan link (the one their texts carry; a new one if none is live)",
    )
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--member", type=int, help="the family member's id")
    who.add_argument("--demo", action="store_true",
                     help="the demo family's first adult who is safe to contact")


@command("family-link")
async def family_link(args: argparse.Namespace, clock: Clock, settings: Settings) -> int:
    """Print the member's plan link: the live one, or a new one when none is live."""

    async def go() -> int:
        member_id = args.member
        if args.demo:
            ids = await demo_member_ids()
            if not ids:
                print("The demo is not here yet: run `tracker demo` first.", file=sys.stderr)
                return 2
            member_id = ids[0]
        try:
            url = await issue_link(member_id=member_id, now=clock.now(), actor=Actor.system("cli"),
                                   policy=LinkPolicy.from_settings(settings))
        except NotFound:
            print(f"There is no family member {member_id}.", file=sys.stderr)
            return 2
        except FieldErrors as exc:
            return print_errors(exc.errors, with_field=False)
        print(url)
        return 0

    return await with_db(settings, go)
