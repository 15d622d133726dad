"""Reads that are served again until the family's record changes: a per-process cache.

A family's version is the number of audit events recorded for it. Every change to a family, its
members, children, conferences, plans, outcomes, actions, progress and messages appends an
audit event in the change's own transaction, and audit events are never updated or deleted,
so the count goes up exactly when something about the family changed. (The count rather than
the newest id: on PostgreSQL ids are handed out before commit, so a later id can commit first;
a count read after both commits is always larger than one read before either.)

The version is read BEFORE the data it guards, so what is kept under a version is never older
than that version: a change that commits between the two reads is in the data (served once,
then rebuilt when the next request reads the higher count), never missing from it. Each
process keeps its own cache; every process reads the version from the one database, so no
process can serve what another has changed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from tracker.errors import NotFound
from tracker.people.caller import Caller
from tracker.plans.access import VISIBLE_PLACEHOLDERS, VISIBLE_TO_CALLER_SQL
from tracker.plans.tables import Plan

# The count of a family's audit events, as a subquery over a family id placeholder (the
# family_id index answers it).
FAMILY_VERSION_SQL = "(SELECT COUNT(*) FROM audit_event ae WHERE ae.family_id = {})"


# Constant text joined to constant text; every value is a bound parameter.
_PLAN_FOR_READER_SQL = (
    "SELECT p.family, " + FAMILY_VERSION_SQL.format("p.family") + " AS version, "  # noqa: S608
    + VISIBLE_TO_CALLER_SQL + " AS visible "
    "FROM plan p JOIN family f ON f.id = p.family WHERE p.id = {}"
)


async def plan_for_reader(plan_id: int, caller: Caller) -> tuple[int, int]:
    """A plan's family and that family's version, when the caller may see the family.

    One round trip for what `plan_family` and `require_family` check in two, by the same rule
    (tracker.plans.access): a plan that is missing and one the caller may not see both answer
    NotFound.
    """
    rows = await Plan.raw(_PLAN_FOR_READER_SQL, *[caller.id] * VISIBLE_PLACEHOLDERS, plan_id)
    if not rows or not (caller.is_admin or rows[0]["visible"]):
        raise NotFound(f"plan {plan_id}")
    return int(rows[0]["family"]), int(rows[0]["version"])


class VersionedCache:
    """At most `size` values, least recently used dropped first, each stored with its version."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Any, Any]] = OrderedDict()

    def peek(self, key: Hashable) -> tuple[Any, Any] | None:
        """(version, value) stored under key, or None; the caller checks the version."""
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def get(self, key: Hashable, version: Any) -> Any | None:
        """The value stored under key for exactly this version, else None."""
        found = self.peek(key)
        if found is None or found[0] != version:
            return None
        return found[1]

    def put(self, key: Hashable, version: Any, value: Any) -> None:
        """Keep value for this version (replacing whatever the key held)."""
        self._entries[key] = (version, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def app_cache(state: Any, name: str, size: int = 2048) -> VersionedCache:
    """The app's cache called `name` (made on first use; an app's state lives as long as it)."""
    cache = state.get(name)
    if not isinstance(cache, VersionedCache):
        cache = VersionedCache(size)
        state[name] = cache
    return cache
