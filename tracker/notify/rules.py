"""Nudge rules (pure): plan state and `now` in, the messages that should exist by now out.

The dispatcher re-runs these on every tick. Each intended message has a unique key
(rule, subject, recipient, occasion), so re-running never makes a second row; the occasion
includes the date the nudge is about, so a changed due date or conference date gives new keys
and the old pending row is cancelled. A nudge is only intended inside its window (from
`due_at` until `until`); a pending row that is no longer intended — the action was updated,
done or cancelled, the report submitted, the window passed — is cancelled by the dispatcher.

Only the standard library, the plan vocabulary and the working calendar (data it is given) are
used here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache, partial
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from tracker.plans.routines import is_routine, weekday_numbers
from tracker.vocabulary import LONDON, OPEN_STATUSES, REVIEW_KINDS, family_ref

RULES = ("action_before", "action_due", "action_overdue", "report_due", "chair_summary",
         "review_coming", "weekly_digest", "core_group_invite", "core_group_due",  # core groups: core_group_rules.py
         "routine_checkin")


class Calendar(Protocol):
    """What the rules need of tracker.plans.dates.WorkingCalendar."""

    def add_working_days(self, d: date, n: int) -> date: ...

    def next_working_day(self, d: date) -> date: ...


@dataclass(frozen=True)
class MemberFacts:
    """A family member as the rules see them (suitability is checked when sending)."""

    id: int
    family_id: int
    name: str
    preferred_channel: str  # sms, email, none


@dataclass(frozen=True)
class ActionFacts:
    """An open or closed action on a current plan."""

    id: int
    plan_id: int
    family_id: int
    family_name: str
    description: str
    due_on: date | None
    status: str
    owner_user_id: int | None = None
    owner_member_id: int | None = None
    updated_on: date | None = None  # local date of the last change or progress update
    # A routine step (see tracker.plans.routines): no due date, so never "due" or "overdue";
    # a weekly check-in instead, until its review-by date.
    repeats: str = ""
    repeat_days: str = ""
    review_on: date | None = None
    check_in: str = ""
    created_on: date | None = None


@dataclass(frozen=True)
class InviteeFacts:
    """An invited professional and their report."""

    user_id: int
    report_due_on: date | None
    submitted: bool


@dataclass(frozen=True)
class ConferenceFacts:
    """A conference still to come (or just held)."""

    id: int
    family_id: int
    family_name: str
    kind: str
    starts_at: datetime
    chair_id: int | None
    plan_id: int | None  # the family's current plan
    invitees: tuple[InviteeFacts, ...] = ()
    # Its decision is recorded: it has happened, so its reminders (reports, the chair's
    # summary, the family's review texts) stop, and pending ones are cancelled.
    recorded: bool = False


@dataclass(frozen=True)
class PlanState:
    """Everything the rules read."""

    actions: tuple[ActionFacts, ...] = ()
    conferences: tuple[ConferenceFacts, ...] = ()
    members: tuple[MemberFacts, ...] = ()


@dataclass(frozen=True)
class RuleSettings:
    """Timings, from settings (defaults from the issue)."""

    nudge_time: time = time(9, 30)
    professional_working_days_before: int = 5
    member_days_before: int = 2
    report_working_days_before_deadline: int = 5
    report_deadline_working_days: int = 2  # the seed: reports 2 working days before
    overdue_max: int = 4
    review_days_before: tuple[int, ...] = (7, 1)
    digest_weekday: int = 0  # Monday
    checkin_weekday: int = 2  # Wednesday: the routine's first day on or after it, each week
    digest_time: time = time(8, 0)
    tz: ZoneInfo = LONDON


@dataclass(frozen=True)
class Nudge:
    """One intended message."""

    key: str
    rule: str
    channel: str
    template: str
    context: dict[str, Any] = field(compare=False)
    due_at: datetime
    until: datetime
    family_id: int | None = None
    recipient_user_id: int | None = None
    recipient_member_id: int | None = None

    @property
    def series(self) -> str:
        """The key without its occasion: the same nudge, whatever date it is about."""
        return self.key.rsplit(":", 2)[0]


# Told about a subject whose nudges could not be worked out: (kind, id, the exception).
OnError = Callable[[str, int, Exception], None]


def _isolated(kind: str, subject_id: int, make: Callable[[], list[Nudge]],
              on_error: OnError | None) -> list[Nudge]:
    """One subject's nudges; with `on_error`, a failure skips that subject instead of all of them."""
    if on_error is None:
        return make()
    try:
        return make()
    except Exception as exc:  # noqa: BLE001 - one bad row (e.g. a date near year 9999) must not stop the rest
        on_error(kind, subject_id, exc)
        return []


def _at(day: date, at: time, cfg: RuleSettings) -> datetime:
    return _instant(day, at, cfg.tz)


@lru_cache(maxsize=4096)
def _instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    # Remembered: a tick asks for the same few hundred (day, time) pairs for every action.
    return datetime.combine(day, at, tz).astimezone(UTC)


def _shut(due_at: datetime, until: datetime, open_at: datetime | None) -> bool:
    """True when only nudges open at `open_at` are asked for and this window is not open then."""
    return open_at is not None and not due_at <= open_at < until


class RememberingCalendar:
    """A Calendar that remembers its answers: the rules ask about the same few hundred days
    for every action, and each answer walks the days and their bank holidays. One per tick."""

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self._added: dict[tuple[date, int], date] = {}
        self._next: dict[date, date] = {}

    def add_working_days(self, d: date, n: int) -> date:
        """As the calendar's, remembered."""
        found = self._added.get((d, n))
        if found is None:
            found = self._added[d, n] = self.calendar.add_working_days(d, n)
        return found

    def next_working_day(self, d: date) -> date:
        """As the calendar's, remembered."""
        found = self._next.get(d)
        if found is None:
            found = self._next[d] = self.calendar.next_working_day(d)
        return found


def _member_channel(member: MemberFacts) -> str:
    # "none" still makes a row (on SMS) so the dispatcher records it as suppressed, with why.
    return "email" if member.preferred_channel == "email" else "sms"


def _open(action: ActionFacts) -> bool:
    return action.status in OPEN_STATUSES and action.due_on is not None


def action_nudges(action: ActionFacts, members: dict[int, MemberFacts], cal: Calendar,
                  cfg: RuleSettings, open_at: datetime | None = None) -> list[Nudge]:
    """Every nudge about one action to its owner, whatever the time: before, on and after the due date.

    With `open_at`, only those whose window is open then (the same nudges, never built only to
    be dropped: a tick asks about every action).
    """
    if not _open(action):
        return []
    due = action.due_on
    assert due is not None
    if action.owner_user_id is not None:
        recipient, channel, member_id, user_id = f"user:{action.owner_user_id}", "email", None, \
            action.owner_user_id
        prefix = ""
        before_day = cal.add_working_days(due, -cfg.professional_working_days_before)
        context: dict[str, Any] = {"action_id": action.id, "plan_id": action.plan_id,
                                   "description": action.description,
                                   "family_name": action.family_name, "due_on": due}
    elif action.owner_member_id is not None and action.owner_member_id in members:
        member = members[action.owner_member_id]
        recipient, channel, member_id, user_id = f"member:{member.id}", _member_channel(member), \
            member.id, None
        prefix = "member_"
        before_day = due - timedelta(days=cfg.member_days_before)
        # No description: it may name a child, and a text must not.
        context = {"name": member.name, "due_on": due, "needs_link": True}
    else:
        return []

    def nudge(rule: str, template: str, occasion: str, day: date, until: datetime,
              extra: dict[str, Any] | None = None) -> list[Nudge]:
        starts = _at(day, cfg.nudge_time, cfg)
        if _shut(starts, until, open_at):
            return []
        return [Nudge(
            key=f"{rule}:action:{action.id}:{recipient}:{due.isoformat()}:{occasion}", rule=rule,
            channel=channel, template=prefix + template, context={**context, **(extra or {})},
            due_at=starts, until=until, family_id=action.family_id,
            recipient_user_id=user_id, recipient_member_id=member_id,
        )]

    due_at = _at(due, cfg.nudge_time, cfg)
    first_overdue = cal.next_working_day(due)
    overdue_days = [first_overdue + timedelta(days=7 * n) for n in range(cfg.overdue_max)]
    found = (nudge("action_before", "action_before", "before", before_day, due_at)
             + nudge("action_due", "action_due", "due", due, _at(first_overdue, cfg.nudge_time, cfg)))
    for n, day in enumerate(overdue_days, start=1):
        # "Weekly until the action is updated": an update on or after the due date ends them.
        if action.updated_on is not None and action.updated_on >= due and day > action.updated_on:
            break
        ends = overdue_days[n] if n < len(overdue_days) else day + timedelta(days=7)
        found += nudge("action_overdue", "action_overdue", f"n{n}", day,
                       _at(ends, cfg.nudge_time, cfg), {"times": n})
    return found


def _checkin_day(monday: date, days: tuple[int, ...], cfg: RuleSettings) -> date:
    """The week's check-in day: the routine's first day on or after checkin_weekday, else its first."""
    later = [d for d in days if d >= cfg.checkin_weekday]
    return monday + timedelta(days=(later or list(days))[0])


def routine_nudges(action: ActionFacts, members: dict[int, MemberFacts], now: datetime,
                   cfg: RuleSettings) -> list[Nudge]:
    """A family member's routine step: a check-in once a week, never "due", until its review-by date.

    No check-in in the week the step was agreed; the text names nobody and no step (it asks
    about the routine's own check-in words, such as "your mornings").
    """
    days = weekday_numbers(action.repeats, action.repeat_days)
    member = members.get(action.owner_member_id or 0)
    if (action.status not in OPEN_STATUSES or not is_routine(action.repeats) or not days
            or action.review_on is None or member is None):
        return []
    today = now.astimezone(cfg.tz).date()
    found: list[Nudge] = []
    # Last week's check-in is still intended until this week's day comes (their windows tile).
    for back in (1, 0):
        monday = today - timedelta(days=today.weekday() + 7 * back)
        day = _checkin_day(monday, days, cfg)
        started = action.created_on or day
        if day > action.review_on or monday <= started - timedelta(days=started.weekday()):
            continue
        year, week, _ = monday.isocalendar()
        due_at = _at(day, cfg.nudge_time, cfg)
        found.append(Nudge(
            key=(f"routine_checkin:action:{action.id}:member:{member.id}:"
                 f"{action.review_on.isoformat()}:{year}-W{week:02d}"),
            rule="routine_checkin", channel=_member_channel(member),
            template="member_routine_checkin",
            context={"name": member.name, "check_in": action.check_in, "needs_link": True},
            due_at=due_at, until=due_at + timedelta(days=7), family_id=action.family_id,
            recipient_member_id=member.id,
        ))
    return found


def report_nudges(conf: ConferenceFacts, cal: Calendar, cfg: RuleSettings,
                  open_at: datetime | None = None) -> list[Nudge]:
    """Invited professionals: report due (some working days before the deadline, and on the day).

    With `open_at`, only those whose window is open then.
    """
    found: list[Nudge] = []
    conf_day = conf.starts_at.astimezone(cfg.tz).date()
    default_deadline = cal.add_working_days(conf_day, -cfg.report_deadline_working_days)
    for inv in conf.invitees:
        if inv.submitted:
            continue
        deadline = inv.report_due_on or default_deadline
        early = cal.add_working_days(deadline, -cfg.report_working_days_before_deadline)
        context = {"conference_id": conf.id, "family_name": conf.family_name,
                   "conference_at": conf.starts_at, "deadline": deadline, "kind": conf.kind}
        for occasion, day, until in (
            ("early", early, _at(deadline, cfg.nudge_time, cfg)),
            ("deadline", deadline, _at(deadline + timedelta(days=1), time(0), cfg)),
        ):
            starts = _at(day, cfg.nudge_time, cfg)
            if _shut(starts, until, open_at):
                continue
            found.append(Nudge(
                key=f"report_due:conference:{conf.id}:user:{inv.user_id}:{deadline.isoformat()}:{occasion}",
                rule="report_due", channel="email", template="report_due",
                context={**context, "on_the_day": occasion == "deadline"},
                due_at=starts, until=until, family_id=conf.family_id,
                recipient_user_id=inv.user_id,
            ))
    return found


def chair_nudges(conf: ConferenceFacts, cal: Calendar, cfg: RuleSettings) -> list[Nudge]:
    """The chair: the pre-review summary is ready once the report deadline has passed."""
    if conf.kind not in REVIEW_KINDS or conf.chair_id is None or conf.plan_id is None:
        return []
    conf_day = conf.starts_at.astimezone(cfg.tz).date()
    deadline = cal.add_working_days(conf_day, -cfg.report_deadline_working_days)
    submitted = sum(1 for i in conf.invitees if i.submitted)
    return [Nudge(
        key=f"chair_summary:conference:{conf.id}:user:{conf.chair_id}:{conf_day.isoformat()}:ready",
        rule="chair_summary", channel="email", template="chair_summary",
        context={"conference_id": conf.id, "plan_id": conf.plan_id, "family_name": conf.family_name,
                 "conference_at": conf.starts_at, "deadline": deadline,
                 "reports_in": submitted, "reports_expected": len(conf.invitees)},
        due_at=_at(deadline + timedelta(days=1), time(0), cfg), until=conf.starts_at,
        family_id=conf.family_id, recipient_user_id=conf.chair_id,
    )]


def review_nudges(conf: ConferenceFacts, members: Iterable[MemberFacts],
                  cfg: RuleSettings, open_at: datetime | None = None) -> list[Nudge]:
    """Family members: a review conference is coming up (7 days and 1 day before).

    With `open_at`, only those whose window is open then.
    """
    if conf.kind not in REVIEW_KINDS:
        return []
    conf_day = conf.starts_at.astimezone(cfg.tz).date()
    days = sorted(cfg.review_days_before, reverse=True)
    found: list[Nudge] = []
    for member in members:
        if member.family_id != conf.family_id:
            continue
        for i, before in enumerate(days):
            until = (_at(conf_day - timedelta(days=days[i + 1]), cfg.nudge_time, cfg)
                     if i + 1 < len(days) else conf.starts_at)
            starts = _at(conf_day - timedelta(days=before), cfg.nudge_time, cfg)
            if _shut(starts, until, open_at):
                continue
            found.append(Nudge(
                key=f"review_coming:conference:{conf.id}:member:{member.id}:{conf_day.isoformat()}:d{before}",
                rule="review_coming", channel=_member_channel(member), template="review_coming",
                context={"name": member.name, "conference_at": conf.starts_at,
                         "days_before": before, "needs_link": True},
                due_at=starts, until=until,
                family_id=conf.family_id, recipient_member_id=member.id,
            ))
    return found


def digest_nudges(actions: Iterable[ActionFacts], now: datetime, cfg: RuleSettings,
                  on_error: OnError | None = None) -> list[Nudge]:
    """Professionals: a weekly email of their open and overdue actions, Monday 08:00 local time."""
    local = now.astimezone(cfg.tz)
    monday = local.date() - timedelta(days=(local.weekday() - cfg.digest_weekday) % 7)
    due_at = _at(monday, cfg.digest_time, cfg)
    if not due_at <= now < due_at + timedelta(days=1):
        return []
    by_owner: dict[int, list[ActionFacts]] = {}
    for a in actions:
        if _open(a) and a.owner_user_id is not None:
            by_owner.setdefault(a.owner_user_id, []).append(a)
    today = local.date()
    year, week, _ = monday.isocalendar()

    def digest(user_id: int, owned: list[ActionFacts]) -> list[Nudge]:
        owned.sort(key=lambda a: (a.due_on or date.max, a.id))
        items = [{"action_id": a.id, "plan_id": a.plan_id, "description": a.description,
                  "family_name": a.family_name, "family_ref": family_ref(a.family_id),
                  "due_on": a.due_on, "overdue": a.due_on is not None and a.due_on < today} for a in owned]
        return [Nudge(
            key=f"weekly_digest:user:{user_id}:{year}-W{week:02d}:digest", rule="weekly_digest",
            channel="email", template="weekly_digest",
            context={"actions": items, "overdue_count": sum(1 for i in items if i["overdue"]),
                     "week_of": monday},
            due_at=due_at, until=due_at + timedelta(days=1), recipient_user_id=user_id,
        )]

    found: list[Nudge] = []
    for user_id, owned in sorted(by_owner.items()):
        found += _isolated("user", user_id, partial(digest, user_id, owned), on_error)
    return found


def conference_nudges(conf: ConferenceFacts, members: Iterable[MemberFacts], cal: Calendar,
                      cfg: RuleSettings, open_at: datetime | None = None) -> list[Nudge]:
    """Every nudge about one conference still to come: reports, the chair's summary, the family.

    With `open_at`, the reports' and the family's only when their window is open then.
    """
    return (report_nudges(conf, cal, cfg, open_at) + chair_nudges(conf, cal, cfg)
            + review_nudges(conf, members, cfg, open_at))


def all_nudges(state: PlanState, now: datetime, cal: Calendar, cfg: RuleSettings,
               on_error: OnError | None = None, *, open_only: bool = False) -> list[Nudge]:
    """Every nudge the plan state implies around `now`, whether or not its window is open.

    With `on_error`, an action or conference whose nudges cannot be worked out is reported and
    skipped, and every other subject's nudges still come out. With `open_only`, the nudges
    about actions and conferences whose window is closed at `now` are not built (nudges_due).
    """
    open_at = now if open_only else None
    # Only nudges open now: an action due outside the window has none (see due_window), so its
    # dates are not even worked out (the digest's tick reads every action).
    earliest, latest = _due_bounds(now, cfg) if open_only else (date.min, date.max)
    members = {m.id: m for m in state.members}
    # Each conference reads only its own family's members (the same ones, in the same order):
    # scanning every member for every conference grew as conferences times members.
    by_family: dict[int, list[MemberFacts]] = {}
    for m in state.members:
        by_family.setdefault(m.family_id, []).append(m)
    found: list[Nudge] = []
    for action in state.actions:
        if action.due_on is None or earliest <= action.due_on <= latest:
            found += _isolated("action", action.id,
                               partial(action_nudges, action, members, cal, cfg, open_at), on_error)
        found += _isolated("action", action.id, partial(routine_nudges, action, members, now, cfg),
                           on_error)
    for conf in state.conferences:
        if conf.starts_at <= now or conf.recorded:
            continue
        found += _isolated("conference", conf.id,
                           partial(conference_nudges, conf, by_family.get(conf.family_id, ()),
                                   cal, cfg, open_at), on_error)
    found += digest_nudges(state.actions, now, cfg, on_error)
    return found


def digest_open(now: datetime, cfg: RuleSettings) -> bool:
    """True while this week's digest window is open (it reads every professional's open actions)."""
    local = now.astimezone(cfg.tz)
    monday = local.date() - timedelta(days=(local.weekday() - cfg.digest_weekday) % 7)
    due_at = _at(monday, cfg.digest_time, cfg)
    return due_at <= now < due_at + timedelta(days=1)


WINDOW_MARGIN = timedelta(days=14)
"""Slack on each side of `due_window`: more than any run of closed days (Christmas and a weekend)."""


def due_window(now: datetime, cfg: RuleSettings) -> tuple[date, date] | None:
    """The due dates an action can have and still have a nudge open at `now` (both ends kept).

    An action due outside it has none: its earliest nudge (`action_before`) opens at most the
    professionals' working days (or the members' days) before its due date, and its last (the
    final overdue one) closes `overdue_max` weeks after the first working day after it. So the
    dispatcher need only read those actions, and routines (no due date), to want exactly what
    reading every action would; the margin covers weekends and bank holidays either way.
    None while the weekly digest is open: the digest lists every open action, whatever its date.
    """
    return None if digest_open(now, cfg) else _due_bounds(now, cfg)


def _due_bounds(now: datetime, cfg: RuleSettings) -> tuple[date, date]:
    today = now.astimezone(cfg.tz).date()
    earliest = today - timedelta(days=7 * cfg.overdue_max) - WINDOW_MARGIN
    # Calendar days only (two for each working day, and the margin), so a calendar that cannot
    # answer fails the rules that ask it, action by action, not the reading of every action.
    latest = today + timedelta(days=max(2 * cfg.professional_working_days_before,
                                        cfg.member_days_before)) + WINDOW_MARGIN
    return earliest, latest


def nudges_due(state: PlanState, now: datetime, cal: Calendar,
               cfg: RuleSettings | None = None, on_error: OnError | None = None) -> list[Nudge]:
    """The nudges whose window is open at `now`: these should exist in the outbox."""
    cfg = cfg or RuleSettings()
    return [n for n in all_nudges(state, now, cal, cfg, on_error, open_only=True)
            if n.due_at <= now < n.until]
