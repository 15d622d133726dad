"""Recording what the providers accepted, many sends at a time (a group commit).

A tick sends its claimed rows a few at a time (`DISPATCH_CONCURRENCY`). Each send, once the
provider has the message, hands its receipt here and waits until it is recorded; whatever
receipts arrive while one batch is being written go together in the next: one transaction,
one UPDATE for the batch (`sent`, the provider's ids by row), instead of one commit a row.
With one send at a time a batch is one row, exactly as before.

One bad row never costs the others their results: if a batch cannot be written, each row is
written on its own, and only the row that still fails raises (to its own send, which sets it
aside as `error`; it was handed over, so it is never resent blindly).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker.clock import Clock
from tracker.db import atomic
from tracker.notify import outbox
from tracker.notify.tables import Outbox

log = logging.getLogger("tracker.notify")
MAX_BATCH = 200  # rows a statement records at most (4 parameters a row, well under SQLite's cap)


@dataclass
class _Receipt:
    row: dict[str, Any]
    provider_message_id: str
    done: asyncio.Future[None] = field(repr=False)


async def record_sent(rows: list[tuple[int, str]], sent_at: datetime) -> set[int]:
    """Mark `sending` rows `sent` with their provider ids, in one statement; the ids it changed.

    A row no longer `sending` (a status callback settled it first) is left alone.
    """
    ids = [row_id for row_id, _ in rows]
    cases = " ".join("WHEN {} THEN {}" for _ in rows)
    marks = ", ".join("{}" for _ in rows)
    values: list[Any] = [v for pair in rows for v in pair]
    done = await Outbox.raw(
        f"UPDATE notify_outbox SET status = 'sent', provider_message_id = CASE id {cases} END, "  # noqa: S608 - only placeholders are formatted in
        "sent_at = {}, lease_expires_at = NULL, updated_at = {}, error_code = NULL, error_text = '' "
        f"WHERE status = 'sending' AND id IN ({marks}) RETURNING id",
        *values, sent_at, sent_at, *ids)
    return {int(r["id"]) for r in done}


async def _forget_secrets(row: dict[str, Any]) -> None:
    """Blank live secrets (a reset link) from a sent row's stored context: the email has them now."""
    context = json.loads(row["context"] or "{}")
    if not any(key in context for key in outbox.SECRET_CONTEXT_KEYS):
        return
    for key in outbox.SECRET_CONTEXT_KEYS:
        if key in context:
            context[key] = "(sent)"
    await Outbox.update({Outbox.context: outbox.dump_context(context)}).where(Outbox.id == row["id"])


class Recorder:
    """Group commit of `sent` results for one tick's concurrent sends."""

    def __init__(self, clock: Clock, max_batch: int = MAX_BATCH) -> None:
        self.clock = clock
        self.max_batch = max_batch
        self.waiting: list[_Receipt] = []
        self.flushing = False
        self.batches = 0  # statements that recorded a batch (for tests and logs)

    async def record(self, row: dict[str, Any], provider_message_id: str) -> None:
        """Return once this row is recorded `sent`; raise if it alone could not be recorded."""
        receipt = _Receipt(row, provider_message_id, asyncio.get_running_loop().create_future())
        self.waiting.append(receipt)
        if not self.flushing:
            self.flushing = True
            batch: list[_Receipt] = []
            try:
                while self.waiting:
                    batch = self.waiting[:self.max_batch]
                    del self.waiting[:self.max_batch]
                    await self._flush(batch)
            except BaseException:
                # Cancelled (or the process stopping) mid-write: nobody else would answer these.
                for left in batch + self.waiting:
                    if not left.done.done():
                        left.done.set_exception(RuntimeError("recording was interrupted"))
                self.waiting = []
                raise
            finally:
                self.flushing = False
        await receipt.done

    async def _flush(self, batch: list[_Receipt]) -> None:
        try:
            await self._write(batch)
        except Exception as exc:  # noqa: BLE001 - retried row by row below; the bad row alone fails
            if len(batch) == 1:
                if not batch[0].done.done():
                    batch[0].done.set_exception(exc)
                return
            log.warning("recording %d sent rows together failed (%s); recording them one by one",
                        len(batch), exc)
            for receipt in batch:
                await self._flush([receipt])
            return
        for receipt in batch:
            if not receipt.done.done():
                receipt.done.set_result(None)

    async def _write(self, batch: list[_Receipt]) -> None:
        """One transaction: the batch's `sent`, provider ids kept where a callback won, secrets blanked."""
        sent_at = self.clock.now()
        async with atomic():
            recorded = await record_sent([(int(r.row["id"]), r.provider_message_id) for r in batch],
                                         sent_at)
            for r in batch:
                if int(r.row["id"]) not in recorded:
                    # A status callback got here first (it settles the row); keep the provider id.
                    await Outbox.update({Outbox.provider_message_id: r.provider_message_id}).where(
                        (Outbox.id == r.row["id"]) & Outbox.provider_message_id.is_null())
                await _forget_secrets(r.row)
        self.batches += 1
