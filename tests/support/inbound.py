"""What the inbound-text and link-sending tests share: a number per test family and one tick."""

from __future__ import annotations

import random
from collections.abc import Iterator

from tracker.bootstrap import build_dispatcher
from tracker.notify.providers import providers_for
from tracker.plans.tables import FamilyMember


class OwnNumbers:
    """Numbers no other test family shares, from a range of the module's own.

    pytest imports test_webhooks under another name than the modules using this do, so one
    shared counter would hand out numbers twice; the factories' 900123 and 900456, 900777, and
    the staff-texts test's 900011 are taken. Give each module a range no other module uses.
    """

    def __init__(self, start: int, stop: int) -> None:
        self._numbers: Iterator[int] = (n for n in range(start, stop) if n != 777)

    async def give(self, world) -> tuple[int, str]:  # type: ignore[no-untyped-def]
        """Give Jess (the world's first member) her own number; her id and the number."""
        jess = world.family["members"][0]["id"]
        number = f"+4477009{next(self._numbers):05d}"
        await FamilyMember.update({FamilyMember.mobile: number}).where(FamilyMember.id == jess)
        return jess, number


async def dispatch_once(clock, settings) -> None:  # type: ignore[no-untyped-def]
    """One dispatcher tick over what is already queued."""
    dispatcher = build_dispatcher(settings, clock, providers_for(settings), rng=random.Random(1))
    try:
        await dispatcher.tick(materialise=False)
    finally:
        await dispatcher.providers.close()
