"""The dispatcher: one tick materialises the rules, claims due rows, sends them, records the result.

Why this shape (the transactional outbox): a message is a row before it is anything else, so a
crash loses nothing; a row is claimed in a short transaction of its own and that transaction
commits before the provider is called, so no database lock or connection is held across a slow
network call and another instance can never claim the same row; the result is recorded with a
guarded update (only a row still `sending` changes). A row is marked as handed to the provider
(committed) just before the call: if the process dies after that point we cannot know whether
the provider accepted it, so a lapsed lease makes it `unknown` (settled later by Twilio's status
callback), never a blind resend. A lapsed lease on a row that was never handed over is simply
released back to `pending`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

from tracker.audit import Actor
from tracker.clock import Clock, local_date
from tracker.errors import FieldErrors, NotFound
from tracker.notify import outbox
from tracker.notify.consent import SYSTEM, TWILIO_UNSUBSCRIBED, opt_out_member
from tracker.notify.core_group_state import core_group_nudges
from tracker.notify.delivery import after_text_failed
from tracker.notify.heartbeat import Heartbeat
from tracker.notify.pacing import MemberPacing, held_until, may_be_capped
from tracker.notify.providers import (
    OPT_OUT_CODE,
    PermanentError,
    ProviderError,
    ProviderReceipt,
    Providers,
    RetryableError,
)
from tracker.notify.quiet import SendWindows
from tracker.notify.recording import Recorder
from tracker.notify.rules import RULES, Nudge, RememberingCalendar, due_window, nudges_due
from tracker.notify.segments import segments
from tracker.notify.sending import (
    Recipient,
    Sleeper,
    Suppressed,
    Throttle,
    TickReport,
    backoff,
    mask_links,
    recipient_for,
)
from tracker.notify.staff_texts import by_choice, staff_choices
from tracker.notify.state import load_state, rule_settings
from tracker.notify.tables import Outbox
from tracker.notify.templates import Letterhead, Rendered, render
from tracker.plans.dates import WorkingCalendar, england_calendar
from tracker.plans.tables import Plan
from tracker.settings import Settings
from tracker.vocabulary import family_ref

log = logging.getLogger("tracker.notify")
CHUNK = 500
HELD = "held"  # the reason prefix of a row a member's pacing put back

# PostgreSQL: the CTE is evaluated once, so LIMIT holds (an `id IN (subquery … LIMIT n FOR
# UPDATE SKIP LOCKED)` may be re-run by the planner and take more rows than asked).
CLAIM_POSTGRES = (
    "WITH picked AS (SELECT id FROM notify_outbox WHERE status = 'pending' AND next_attempt_at <= {} "
    "ORDER BY next_attempt_at, id LIMIT {} FOR UPDATE SKIP LOCKED) "
    "UPDATE notify_outbox AS o SET status = 'sending', lease_expires_at = {}, updated_at = {} "
    "FROM picked WHERE o.id = picked.id AND o.status = 'pending' RETURNING o.id"
)
# SQLite has one writer at a time: the guarded UPDATE is the compare-and-set.
CLAIM_SQLITE = (
    "UPDATE notify_outbox SET status = 'sending', lease_expires_at = {}, updated_at = {} "
    "WHERE status = 'pending' AND id IN ("
    "SELECT id FROM notify_outbox WHERE status = 'pending' AND next_attempt_at <= {} "
    "ORDER BY next_attempt_at, id LIMIT {}) RETURNING id"
)

class LinkIssuer(Protocol):
    """Gives the member's plan link at send time (never stored here): the same live link every
    time, so older texts keep working; the composition root (tracker.bootstrap) passes
    tracker.family.links.issue_link with the app's link policy."""

    async def __call__(self, *, member_id: int, now: datetime, actor: Actor) -> str: ...





async def _family_of(row: dict[str, Any], context: dict[str, Any]) -> int | None:
    """The family a message is about: its row's, its context's, or its plan's."""
    family_id = row.get("family_id") or context.get("family_id")
    if family_id is None and context.get("plan_id") is not None:
        plan = await Plan.select(Plan.family).where(Plan.id == int(context["plan_id"])).first()
        family_id = plan["family"] if plan else None
    return int(family_id) if family_id is not None else None


async def _guarded(row_id: int, values: dict[Any, Any], status: str = "sending") -> bool:
    """Update the row only if it is still in `status`; True when it was."""
    done = await Outbox.update(values).where(
        (Outbox.id == row_id) & (Outbox.status == status)).returning(Outbox.id)
    return bool(done)


@dataclass(frozen=True)
class Sending:
    """One claimed row on its way out, and the instant the attempt began."""

    row: dict[str, Any]
    now: datetime

    @property
    def id(self) -> int:
        """The outbox row's id."""
        return int(self.row["id"])

    @property
    def channel(self) -> str:
        """sms or email."""
        return str(self.row["channel"])

    @property
    def label(self) -> str:
        """How logs and reports name it: 'sms #12 member_action_due'."""
        return f"{self.row['channel']} #{self.row['id']} {self.row['template']}"


class Dispatcher:
    """Ticks of the outbox; one instance per process keeps the throttle's state."""

    def __init__(
        self, *, settings: Settings, providers: Providers, clock: Clock,
        rng: random.Random | None = None, sleep: Sleeper = asyncio.sleep,
        link_issuer: LinkIssuer, calendar: WorkingCalendar | None = None,
        after_send: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None,
    ) -> None:
        self.settings = settings
        self.providers = providers
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self.throttle = Throttle(settings.send_rate_per_second, clock, sleep)
        self.link_issuer = link_issuer
        self.calendar = calendar or england_calendar()
        # A test hook between the steps of a send ("handed", "accepted", "recorded").
        self.after_send = after_send
        rate = settings.send_rate_per_second
        min_lease = settings.dispatch_batch_size / rate * 2 + 60 if rate > 0 else 60
        self.lease = timedelta(seconds=max(settings.send_lease_seconds, min_lease))
        self.heartbeat = Heartbeat(started_at=clock.now())
        # Set by `stop()` (SIGTERM): the tick in hand sends no further rows and releases them.
        self.stopping = False
        self.ticks_in_hand = 0
        self.idle = asyncio.Event()
        self.idle.set()
        # What the settings decide about messages, worked out once for this dispatcher.
        self.windows = outbox.send_windows(settings)
        self.letterhead = Letterhead(authority_name=settings.authority_name,
                                     base_url=settings.public_base_url)
        self.pacing = MemberPacing.from_settings(settings)

    # ---------------------------------------------------------------- the tick

    async def tick(self, *, materialise: bool = True) -> TickReport:
        """One tick (see `_tick`), counted so a stopping process can wait for the one in hand."""
        if self.stopping:
            return TickReport(now=self.clock.now())
        self.ticks_in_hand += 1
        self.idle.clear()
        try:
            return await self._tick(materialise=materialise)
        finally:
            self.ticks_in_hand -= 1
            if not self.ticks_in_hand:
                self.idle.set()

    async def wait_idle(self, seconds: float) -> bool:
        """Wait (at most `seconds`) for the tick in hand to finish; True when none is running."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle.wait(), seconds)
        return self.ticks_in_hand == 0

    async def _tick(self, *, materialise: bool = True) -> TickReport:
        """Materialise, sweep lapsed leases, claim a batch, send each row, record.

        One bad row never stops the tick: an action or conference whose nudges cannot be worked
        out is skipped (and logged), and an outbox row that fails unexpectedly is set aside as
        `error` with the reason; every other row is still materialised and sent. If the rules
        cannot run at all, rows already queued are still sent, and the heartbeat records the
        failure so `/health` can report a stalled dispatcher.
        """
        now = self.clock.now()
        report = TickReport(now=now)
        try:
            if materialise:
                try:
                    await self.materialise(now, report)
                except Exception as exc:
                    log.exception("nudge rules could not run this tick; sending what is queued")
                    report.problems.append(f"materialise: {type(exc).__name__}: {exc}")
            await self.sweep(now, report)
            claimed = await self.claim(now, self.settings.dispatch_batch_size)
            report.claimed = len(claimed)
            if claimed:
                await self.send_claimed(claimed, report)
        except Exception as exc:
            self.heartbeat.failed(self.clock.now(), exc)
            raise
        if report.problems:
            self.heartbeat.failed(self.clock.now(), "; ".join(report.problems))
        else:
            self.heartbeat.succeeded(self.clock.now())
        return report

    def _skip_subject(self, report: TickReport) -> Callable[[str, int, Exception], None]:
        """The rules' on_error: log the bad action or conference by id, and carry on."""

        def skip(kind: str, subject_id: int, exc: Exception) -> None:
            log.error("nudges skipped for %s %s: %s: %s", kind, subject_id, type(exc).__name__, exc)
            report.skipped += 1
            report.lines.append(f"skipped {kind} #{subject_id}: {type(exc).__name__}: {exc}")

        return skip

    async def materialise(self, now: datetime, report: TickReport) -> list[Nudge]:
        """Insert the rules' due nudges that have no row yet; cancel pending ones no longer due."""
        skip = self._skip_subject(report)
        cfg = rule_settings(self.settings)
        # Only actions that can have a nudge open now are read (the rules want the same).
        calendar = RememberingCalendar(self.calendar)
        state = await load_state(now, skip, due_window(now, cfg))
        wanted = nudges_due(state, now, calendar, cfg, skip)
        wanted += await core_group_nudges(now, self.calendar, self.settings)
        wanted = by_choice(wanted, await staff_choices())  # each professional's email, text or both
        by_key = {n.key: n for n in wanted}
        existing = await _existing_keys(list(by_key))
        new = [n for k, n in by_key.items() if k not in existing]
        for chunk in _chunks(new, INSERT_CHUNK if _postgres() else SQLITE_INSERT_CHUNK):
            await self._insert_nudges(chunk, now, report)
        await self._cancel_stale(by_key, {n.series for n in wanted}, now, report)
        return wanted

    async def _insert_nudges(self, chunk: list[Nudge], now: datetime, report: TickReport) -> None:
        """Insert a chunk in one statement; if that fails, row by row, skipping the bad one."""
        try:
            inserted = await _insert_outbox(chunk, now, self.windows)
        except Exception:
            if len(chunk) == 1:
                raise
            for nudge in chunk:
                try:
                    await self._insert_nudges([nudge], now, report)
                except Exception as exc:  # noqa: BLE001 - one bad nudge must not stop the rest
                    log.exception("cannot queue nudge %s", nudge.key)
                    report.skipped += 1
                    report.lines.append(f"skipped nudge {nudge.key}: {type(exc).__name__}: {exc}")
            return
        report.materialised += len(inserted)
        for n in chunk:
            report.lines.append(f"new {n.channel} {n.template} ({n.key})")

    async def _cancel_stale(self, by_key: dict[str, Nudge], live_series: set[str], now: datetime,
                            report: TickReport) -> None:
        """Cancel pending rule-made rows the rules no longer want (rescheduled, or no longer due).

        This includes a row a member's pacing held back (weekly cap, quiet days) until its window
        closed: the rules' next nudge in the series (overdue after due, next week's check-in)
        takes its place, so nothing is lost and a text never goes out with stale words ("due
        Mon 14 Dec" a week later). Messages queued directly (replies, links, copies) have no rule
        and are never cancelled here: they wait and then go.
        """
        pending = await Outbox.select(Outbox.id, Outbox.key).where(
            (Outbox.status == "pending") & Outbox.rule.is_in(list(RULES)))
        stale: dict[str, list[dict[str, Any]]] = {"rescheduled": [], "no_longer_due": []}
        for row in pending:
            if row["key"] not in by_key:
                series = row["key"].rsplit(":", 2)[0]
                stale["rescheduled" if series in live_series else "no_longer_due"].append(row)
        for reason, rows in stale.items():
            for chunk in _chunks(rows):
                await self._cancel_chunk(chunk, reason, now, report)

    async def _cancel_chunk(self, rows: list[dict[str, Any]], reason: str, now: datetime,
                            report: TickReport) -> None:
        """Cancel a chunk of pending rows in one guarded UPDATE; if that fails, row by row."""
        keys = {r["id"]: r["key"] for r in rows}
        try:
            done = await Outbox.update({Outbox.status: "cancelled", Outbox.reason: reason,
                                        Outbox.updated_at: now}).where(
                Outbox.id.is_in(list(keys)) & (Outbox.status == "pending")).returning(Outbox.id)
        except Exception:
            if len(rows) == 1:
                raise
            for row in rows:
                try:
                    await self._cancel_chunk([row], reason, now, report)
                except Exception:  # noqa: BLE001 - one bad row must not keep the rest pending
                    log.exception("cannot cancel outbox row %s", row["id"])
            return
        report.cancelled += len(done)
        for r in sorted(done, key=lambda r: int(r["id"])):
            report.lines.append(f"cancelled #{r['id']} ({reason}): {keys[r['id']]}")

    async def sweep(self, now: datetime, report: TickReport) -> None:
        """Settle rows whose sender vanished (crashed) while they were `sending`."""
        lapsed = (Outbox.status == "sending") & (Outbox.lease_expires_at < now)
        unknown = await Outbox.update({
            Outbox.status: "unknown", Outbox.lease_expires_at: None, Outbox.updated_at: now,
            Outbox.error_text: "the sender stopped after handing this to the provider; "
                               "waiting for the provider's status report",
        }).where(lapsed & Outbox.handed_at.is_not_null()).returning(Outbox.id)
        released = await Outbox.update({
            Outbox.status: "pending", Outbox.lease_expires_at: None, Outbox.updated_at: now,
        }).where(lapsed & Outbox.handed_at.is_null()).returning(Outbox.id)
        report.unknown += len(unknown)
        report.released += len(released)
        for r in unknown:
            report.lines.append(f"unknown #{r['id']}: never resent; the status callback settles it")

    async def claim(self, now: datetime, limit: int) -> list[int]:
        """Take up to `limit` due pending rows for this process, in one short transaction.

        PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent claimers take disjoint rows without
        waiting. SQLite (one writer at a time): the same UPDATE guarded by status = 'pending'.
        The statement commits on its own: nothing is held open while we send.
        """
        if isinstance(engine_finder(), PostgresEngine):
            rows = await Outbox.raw(CLAIM_POSTGRES, now, int(limit), now + self.lease, now)
        else:
            rows = await Outbox.raw(CLAIM_SQLITE, now + self.lease, now, now, int(limit))
        return sorted(int(r["id"]) for r in rows)

    def stop(self) -> None:
        """Ask the tick in hand to finish the row it is sending and release the rest."""
        self.stopping = True

    async def release(self, row_ids: list[int], report: TickReport) -> None:
        """Give claimed rows that were never handed to a provider back to `pending` now."""
        released = await Outbox.update({
            Outbox.status: "pending", Outbox.lease_expires_at: None,
            Outbox.updated_at: self.clock.now(),
        }).where(Outbox.id.is_in(row_ids) & (Outbox.status == "sending")
                 & Outbox.handed_at.is_null()).returning(Outbox.id)
        report.lines.append(f"stopping: released {len(released)} claimed rows")

    # ---------------------------------------------------------------- a claimed batch

    async def send_claimed(self, claimed: list[int], report: TickReport) -> None:
        """Send the claimed rows, `dispatch_concurrency` at a time, read in one query.

        Provider calls are network waits, so a few run at once; their results are recorded
        together (tracker.notify.recording). Two rows a member's weekly cap could hold take
        turns, so the cap is counted with the earlier one handed over. Once stopping, no new row
        is started: the rows in hand finish and the rest are released.
        """
        rows = {int(r["id"]): r for r in await Outbox.select().where(
            Outbox.id.is_in(claimed) & (Outbox.status == "sending"))}
        queue = deque(rows[i] for i in claimed if i in rows)
        recorder = Recorder(self.clock)
        turns: dict[int, asyncio.Lock] = {}

        async def worker() -> None:
            while queue and not self.stopping:
                await self.send_isolated(queue.popleft(), report, recorder, turns)

        workers = [asyncio.ensure_future(worker())
                   for _ in range(max(1, min(self.settings.dispatch_concurrency, len(queue))))]
        try:
            await asyncio.gather(*workers)
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        if queue:
            await self.release([int(r["id"]) for r in queue], report)

    def _turn(self, row: dict[str, Any], turns: dict[int, asyncio.Lock]) -> Any:
        """A lock for rows to one member that their weekly cap of texts could hold, else none."""
        if not may_be_capped(row, self.clock.now(), self.pacing):
            return contextlib.nullcontext()
        return turns.setdefault(int(row["recipient_member"]), asyncio.Lock())

    # ---------------------------------------------------------------- one message

    async def send_isolated(self, row: dict[str, Any], report: TickReport, recorder: Recorder,
                            turns: dict[int, asyncio.Lock]) -> None:
        """Send one claimed row; an unexpected failure sets that row aside and the tick goes on."""
        try:
            async with self._turn(row, turns):
                await self.send_one(row, report, recorder)
        except Exception as exc:  # noqa: BLE001 - one bad row must never silence everyone else's nudges
            log.exception("outbox row %s set aside after an unexpected error", row["id"])
            await self._set_aside(int(row["id"]), exc, report)

    async def send_one(self, row: dict[str, Any], report: TickReport, recorder: Recorder) -> None:
        """Send one claimed row (as read when claimed; every write below is guarded by its
        status) and record what happened, in small steps that each may stop it."""
        send = Sending(row=row, now=self.clock.now())
        recipient = await self._recipient(send, report)
        if recipient is None or await self._deferred(send, report) or await self._held(send, report):
            return
        message = await self._compose(send, report)
        if message is None:
            return
        provider = self.providers.sms if send.channel == "sms" else self.providers.email
        count = segments(message.text) if send.channel == "sms" else None
        if not await self._mark_handed(send, recipient, message, provider.sender, count):
            return
        await self._hook("handed", row)
        await self.throttle.wait(provider.sender)
        receipt = await self._call_provider(send, recipient, message, report)
        if receipt is None:
            return
        await self._hook("accepted", row)
        await recorder.record(row, receipt.provider_message_id)
        report.sent += 1
        seg = f", {count} segment{'s' if count != 1 else ''}" if count else ""
        report.lines.append(f"sent {send.label} to {recipient.address}{seg}")
        await self._hook("recorded", row)

    async def _recipient(self, send: Sending, report: TickReport) -> Recipient | None:
        """Who it goes to, or None after recording why it must not go (checked at send time)."""
        try:
            return await recipient_for(send.row)
        except Suppressed as exc:
            await self._suppress(send.id, exc.reason, send.now, report, send.label)
            return None

    async def _deferred(self, send: Sending, report: TickReport) -> bool:
        """True (and the row put back until then) when quiet hours hold this message."""
        allowed_at = self.windows.next_allowed(send.channel, send.now, outbox.is_bank_holiday)
        if allowed_at <= send.now or outbox.ignores_quiet_hours(send.channel, send.row["template"]):
            return False
        await _guarded(send.id, {Outbox.status: "pending", Outbox.next_attempt_at: allowed_at,
                                 Outbox.lease_expires_at: None, Outbox.updated_at: send.now})
        report.deferred += 1
        report.lines.append(f"deferred {send.label} until {allowed_at.isoformat()} (quiet hours)")
        return True

    async def _held(self, send: Sending, report: TickReport) -> bool:
        """True (and the row put back until then) when a member's pacing holds it: their weekly
        cap of texts, or the quiet days (see tracker.notify.pacing for why it is checked here)."""
        held = await held_until(send.row, send.now, self.pacing)
        if held is None:
            return False
        at, why = held
        await _guarded(send.id, {Outbox.status: "pending", Outbox.next_attempt_at: at,
                                 Outbox.lease_expires_at: None, Outbox.updated_at: send.now,
                                 Outbox.reason: f"{HELD}: {why}"})
        report.deferred += 1
        report.lines.append(f"deferred {send.label} until {at.isoformat()} ({why})")
        return True

    async def _compose(self, send: Sending, report: TickReport) -> Rendered | None:
        """The message as it goes now (with a fresh plan link), or None after recording why not."""
        row = send.row
        context = json.loads(row["context"] or "{}")
        # Wording such as "due today" is decided when the message goes, not when it was queued.
        context["today"] = local_date(send.now).isoformat()
        # Staff messages name a family by reference only (names stay behind sign-in).
        family_id = await _family_of(row, context)
        if family_id is not None:
            context.setdefault("family_ref", family_ref(family_id))
        if context.get("needs_link") and row["recipient_member"] is not None:
            try:
                context["link"] = await self.link_issuer(
                    member_id=row["recipient_member"], now=send.now, actor=SYSTEM)
            except (FieldErrors, NotFound):
                await self._suppress(send.id, "no_current_plan", send.now, report, send.label)
                return None
        try:
            return render(send.channel, row["template"], context, letterhead=self.letterhead)
        except Exception as exc:  # noqa: BLE001 - a broken template fails this row, not the tick
            log.exception("cannot render %s", send.label)
            await self._fail(row, "template", f"cannot render the message: {exc}", send.now, report,
                             send.label)
            return None

    async def _mark_handed(self, send: Sending, recipient: Recipient, message: Rendered,
                           sender: str, count: int | None) -> bool:
        """Record (committed) that the row is going to the provider now.

        Committed before the call: if we die after this, the row becomes unknown, not resent.
        """
        return await _guarded(send.id, {
            Outbox.handed_at: send.now, Outbox.attempts: Outbox.attempts + 1,
            Outbox.to_address: recipient.address, Outbox.sender: sender,
            Outbox.segments: count, Outbox.subject: message.subject, Outbox.updated_at: send.now,
            Outbox.body_preview: mask_links(message.text, self.settings.public_base_url),
        })

    async def _call_provider(self, send: Sending, recipient: Recipient, message: Rendered,
                             report: TickReport) -> ProviderReceipt | None:
        """Hand the message over; a provider refusal is recorded (retry or fail) and gives None."""
        try:
            if send.channel == "sms":
                return await self.providers.sms.send_sms(
                    to=recipient.address, body=message.text, outbox_id=send.id,
                    status_callback=f"{self.settings.public_base_url}/webhooks/twilio/status"
                                    f"?outbox={send.id}")
            return await self.providers.email.send_email(
                to=recipient.address, subject=message.subject, text=message.text,
                html=message.html, outbox_id=send.id,
                attachments=outbox.attachments_of(send.row))
        except RetryableError as exc:
            await self._retry(send.row, exc, report, send.label)
        except PermanentError as exc:
            await self._refused(send, recipient, exc, report)
        return None

    async def _refused(self, send: Sending, recipient: Recipient, exc: PermanentError,
                       report: TickReport) -> None:
        """The provider will never take this message: fail it, and act on what that means."""
        await self._fail(send.row, exc.code or "permanent", exc.text, self.clock.now(), report,
                         send.label)
        if exc.code == str(OPT_OUT_CODE) and recipient.member is not None:
            await opt_out_member(recipient.member["id"], now=self.clock.now(), actor=SYSTEM,
                                 why=TWILIO_UNSUBSCRIBED)
        elif send.channel == "sms" and send.row["recipient_member"] is not None:
            await after_text_failed(send.id, reason=exc.text, now=self.clock.now(),
                                    windows=self.windows)

    async def _set_aside(self, row_id: int, exc: Exception, report: TickReport) -> None:
        """Park a row that failed unexpectedly as `error`, with the reason, in message history.

        Never resent automatically: it may have reached the provider, and whatever broke it would
        break it again. A status callback can still settle it.
        """
        reason = f"set aside after an unexpected error: {type(exc).__name__}: {exc}"
        try:
            changed = await _guarded(row_id, {
                Outbox.status: "error", Outbox.error_code: "internal", Outbox.error_text: reason[:2000],
                Outbox.lease_expires_at: None, Outbox.updated_at: self.clock.now(),
            })
        except Exception:  # noqa: BLE001 - the lease sweep settles it later
            log.exception("cannot set outbox row %s aside", row_id)
            return
        if changed:
            report.errors += 1
            report.lines.append(f"error #{row_id}: {reason}")

    async def _hook(self, step: str, row: dict[str, Any]) -> None:
        if self.after_send is not None:
            await self.after_send(step, row)

    async def _suppress(self, row_id: int, reason: str, now: datetime, report: TickReport,
                        label: str) -> None:
        if await _guarded(row_id, {Outbox.status: "suppressed", Outbox.reason: reason,
                                   Outbox.lease_expires_at: None, Outbox.updated_at: now}):
            report.suppressed += 1
            report.lines.append(f"suppressed {label}: {reason}")

    async def _fail(self, row: dict[str, Any], code: str, text: str, now: datetime,
                    report: TickReport, label: str) -> None:
        if await _guarded(row["id"], {Outbox.status: "failed", Outbox.error_code: code,
                                      Outbox.error_text: text[:2000], Outbox.lease_expires_at: None,
                                      Outbox.updated_at: now}):
            report.failed += 1
            report.lines.append(f"failed {label}: {code} {text}")

    async def _retry(self, row: dict[str, Any], exc: ProviderError, report: TickReport,
                     label: str) -> None:
        now = self.clock.now()
        attempts = int(row["attempts"]) + 1
        if attempts >= self.settings.send_max_attempts:
            await self._fail(row, exc.code or "retry", f"gave up after {attempts} tries: {exc.text}",
                             now, report, label)
            return
        at = now + backoff(attempts, self.settings.retry_base_seconds, self.rng)
        # The provider refused it, so it is safe to send again: clear handed_at.
        if await _guarded(row["id"], {
            Outbox.status: "pending", Outbox.next_attempt_at: at, Outbox.handed_at: None,
            Outbox.lease_expires_at: None, Outbox.error_code: exc.code,
            Outbox.error_text: exc.text[:2000], Outbox.updated_at: now,
        }):
            report.retrying += 1
            report.lines.append(f"retry {label} at {at.isoformat()} (try {attempts}): {exc.code} {exc.text}")


def _postgres() -> bool:
    return isinstance(engine_finder(), PostgresEngine)


async def _existing_keys(keys: list[str]) -> set[str]:
    """Which of these keys the outbox already has: one query per KEY_CHUNK keys, the keys sent
    as one parameter (a text array on PostgreSQL, a JSON array on SQLite)."""
    found: set[str] = set()
    for chunk in _chunks(keys, KEY_CHUNK):
        if _postgres():
            rows = await Outbox.raw(
                "SELECT key FROM notify_outbox WHERE key = ANY({}::varchar[])", chunk)
        else:
            rows = await Outbox.raw(
                "SELECT key FROM notify_outbox WHERE key IN (SELECT value FROM json_each({}))",
                json.dumps(chunk))
        found.update(r["key"] for r in rows)
    return found


async def _insert_outbox(nudges: list[Nudge], now: datetime,
                         windows: SendWindows) -> list[dict[str, Any]]:
    """Insert the nudges' rows (one statement); a key already present is left alone.

    Plain values, never a table object a row (Piccolo's insert(*objects) built a query string
    per object: about 2 ms a row at scale). PostgreSQL: each column goes as one array parameter
    and `unnest` turns them back into rows, so the statement and its parameters stay the same
    size however many rows; SQLite: one multi-row VALUES list.
    """
    rows = [outbox.outbox_values(
        channel=n.channel, template=n.template, context=n.context, due_at=n.due_at,
        key=n.key, windows=windows, now=now, rule=n.rule, recipient_user_id=n.recipient_user_id,
        recipient_member_id=n.recipient_member_id, family_id=n.family_id) for n in nudges]
    names = ", ".join(INSERT_COLUMNS)
    if _postgres():
        columns = [[r[c] for r in rows] for c in INSERT_COLUMNS]
        arrays = ", ".join(f"{{}}::{kind}[]" for kind in POSTGRES_TYPES)
        # Only the fixed column names and types are formatted in; values go as parameters.
        sql = (f"INSERT INTO notify_outbox ({names}, error_text, subject, body_preview) "  # noqa: S608
               f"SELECT *, '', '', '' FROM unnest({arrays}) ")
        inserted: list[dict[str, Any]] = await Outbox.raw(
            sql + "ON CONFLICT (key) DO NOTHING RETURNING id", *columns)
        return inserted
    values: list[Any] = []
    for r in rows:
        values += [r[c] for c in INSERT_COLUMNS]
    marks = ", ".join("(" + ", ".join(["{}"] * len(INSERT_COLUMNS)) + ", '', '', '')" for _ in rows)
    sql = (f"INSERT INTO notify_outbox ({names}, error_text, subject, body_preview) "  # noqa: S608
           f"VALUES {marks} ")
    inserted = await Outbox.raw(sql + "ON CONFLICT (key) DO NOTHING RETURNING id", *values)
    return inserted


INSERT_COLUMNS = ("key", "rule", "channel", "template", "context", "recipient_user",
                  "recipient_member", "family_id", "status", "due_at", "attempts",
                  "next_attempt_at", "created_at", "updated_at")
POSTGRES_TYPES = ("varchar", "varchar", "varchar", "varchar", "text", "integer", "integer",
                  "integer", "varchar", "timestamptz", "integer", "timestamptz", "timestamptz",
                  "timestamptz")
# Rows a statement: PostgreSQL's arrays take any number; SQLite at most 32,766 parameters
# (14 a row).
INSERT_CHUNK = 5000
SQLITE_INSERT_CHUNK = 1000
KEY_CHUNK = 5000


def _chunks(items: Iterable[Any], size: int | None = None) -> Iterable[list[Any]]:
    size = size or CHUNK
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
