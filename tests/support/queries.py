"""Counting the database queries a request makes (every statement Piccolo sends, reads and writes)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from piccolo.engine import engine_finder


@dataclass
class QueryLog:
    """The statements run while counting, in order."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many statements ran."""
        return len(self.statements)


@contextmanager
def counting_queries() -> Iterator[QueryLog]:
    """Count every query and DDL statement the configured engine runs inside the block."""
    engine: Any = engine_finder()
    log = QueryLog()
    cls = type(engine)
    run_querystring, run_ddl = cls.run_querystring, cls.run_ddl

    async def counted_querystring(self: Any, querystring: Any, in_pool: bool = False) -> Any:
        log.statements.append(str(querystring))
        return await run_querystring(self, querystring, in_pool=in_pool)

    async def counted_ddl(self: Any, ddl: str, in_pool: bool = False) -> Any:
        log.statements.append(ddl)
        return await run_ddl(self, ddl, in_pool=in_pool)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cls, "run_querystring", counted_querystring)
        patch.setattr(cls, "run_ddl", counted_ddl)
        yield log


async def queries_for(client: Any, path: str, **kwargs: Any) -> tuple[int, QueryLog]:
    """GET a path and count its queries; returns the status and the log."""
    with counting_queries() as log:
        answer = await client.get(path, **kwargs)
    return answer.status_code, log
