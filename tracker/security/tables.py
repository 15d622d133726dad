"""Piccolo tables for protections that must hold across many instances."""

from __future__ import annotations

from piccolo.columns import Integer, Serial, Timestamptz, Varchar
from piccolo.table import Table


class RateLimitHit(Table, tablename="rate_limit_hit"):
    """Attempts counted per (hashed key, fixed window); unique on both via a raw index."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    key_hash = Varchar(length=64)
    window_start = Timestamptz()
    # The column is named "count" in the database, so it shadows Table.count() (never called here).
    count = Integer(default=0)  # type: ignore[assignment]


ALL_TABLES: tuple[type[Table], ...] = (RateLimitHit,)
