"""Server-drawn SVG pictures of a plan: progress per outcome, and action status over time.

Pure functions: plain data in, an SVG string out. Every piece of text is escaped, every
picture has role="img" with a <title> and <desc>, and the pages show a table of the same
figures beside it (the picture is never the only way to read them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape
from typing import Any

from tracker.clock import local_date
from tracker.vocabulary import STATUS_WORDS

# Statuses in the order they are stacked, with words and GOV.UK Frontend colours.
STATUS_ORDER: tuple[str, ...] = ("done", "in_progress", "not_started", "not_achieved")
STATUS_LABELS: Mapping[str, str] = STATUS_WORDS
STATUS_COLOURS: Mapping[str, str] = {
    "done": "#00703c",
    "in_progress": "#1d70b8",
    "not_started": "#b1b4b6",
    "not_achieved": "#f47738",
}
TEXT_COLOUR = "#0b0c0c"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


def _x(value: object) -> str:
    """Text or attribute value, escaped for XML."""
    return escape(str(value), quote=True)


def _num(value: float) -> str:
    """A coordinate without float noise."""
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def _truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class OutcomeBar:
    """One outcome's actions counted by status (cancelled ones are left out)."""

    label: str
    done: int = 0
    in_progress: int = 0
    not_started: int = 0
    not_achieved: int = 0

    @property
    def total(self) -> int:
        """Actions that count towards the outcome."""
        return self.done + self.in_progress + self.not_started + self.not_achieved

    @property
    def percent_done(self) -> int:
        """Share of counted actions that are done, rounded."""
        return round(100 * self.done / self.total) if self.total else 0


def outcome_bars_from_progress(progress: Mapping[str, object]) -> list[OutcomeBar]:
    """OutcomeBar rows from service.plan_progress()."""
    rows = progress.get("outcomes", [])
    assert isinstance(rows, list)
    return [
        OutcomeBar(label=str(o["statement"]), done=int(o["done"]),
                   in_progress=int(o["in_progress"]), not_started=int(o["not_started"]),
                   not_achieved=int(o["not_achieved"]))
        for o in rows
    ]


def outcome_progress_svg(bars: Sequence[OutcomeBar], *, title: str = "Progress by outcome",
                         width: int = 640) -> str:
    """Horizontal stacked bars, one per outcome: done, in progress, not started, not achieved.

    Each segment's width is proportional to its share of the outcome's actions.
    """
    label_h, bar_h, gap, top, legend_h = 20, 22, 18, 8, 28
    bar_w = width - 110
    row_h = label_h + bar_h + gap
    height = top + max(len(bars), 1) * row_h + legend_h
    summary = outcome_progress_summary(bars)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tracker-chart" role="img" '
        f'aria-labelledby="{_x(_slug(title))}-t {_x(_slug(title))}-d" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'font-family="{_x(FONT)}">',
        f'<title id="{_x(_slug(title))}-t">{_x(title)}</title>',
        f'<desc id="{_x(_slug(title))}-d">{_x(summary)}</desc>',
    ]
    if not bars:
        out.append(f'<text x="0" y="{top + 16}" font-size="16" fill="{TEXT_COLOUR}">'
                   "No outcomes yet.</text>")
    for i, bar in enumerate(bars):
        y = top + i * row_h
        out.append(
            f'<text x="0" y="{y + 15}" font-size="15" fill="{TEXT_COLOUR}">'
            f"{_x(_truncate(bar.label, 80))}</text>"
        )
        by = y + label_h
        out.append(f'<rect x="0" y="{by}" width="{bar_w}" height="{bar_h}" fill="#f3f2f1" '
                   'stroke="#b1b4b6" stroke-width="1"/>')
        x = 0.0
        for status in STATUS_ORDER:
            count = getattr(bar, status)
            if not count or not bar.total:
                continue
            w = bar_w * count / bar.total
            out.append(
                f'<rect class="seg-{status}" x="{_num(x)}" y="{by}" width="{_num(w)}" '
                f'height="{bar_h}" fill="{STATUS_COLOURS[status]}">'
                f"<title>{_x(STATUS_LABELS[status])}: {count}</title></rect>"
            )
            x += w
        out.append(
            f'<text x="{bar_w + 8}" y="{by + 16}" font-size="15" fill="{TEXT_COLOUR}">'
            f"{bar.done} of {bar.total} done</text>"
        )
    out.append(_legend(0, height - legend_h + 6))
    out.append("</svg>")
    return "".join(out)


def outcome_progress_summary(bars: Sequence[OutcomeBar]) -> str:
    """One sentence per outcome, for <desc> and screen readers."""
    if not bars:
        return "No outcomes have been added yet."
    parts = [
        f"{_truncate(b.label, 80)}: {b.done} of {b.total} actions done"
        f" ({b.percent_done}%), {b.in_progress} in progress, {b.not_started} not started"
        + (f", {b.not_achieved} not achieved" if b.not_achieved else "")
        for b in bars
    ]
    return ". ".join(parts) + "."


def _legend(x: float, y: float) -> str:
    items = []
    for status in STATUS_ORDER:
        items.append(
            f'<rect x="{_num(x)}" y="{_num(y)}" width="14" height="14" '
            f'fill="{STATUS_COLOURS[status]}"/>'
            f'<text x="{_num(x + 19)}" y="{_num(y + 12)}" font-size="14" fill="{TEXT_COLOUR}">'
            f"{_x(STATUS_LABELS[status])}</text>"
        )
        x += 40 + 8 * len(STATUS_LABELS[status])
    return '<g class="legend">' + "".join(items) + "</g>"


def _slug(text: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:40]


# ---------------------------------------------------------------- status over time


@dataclass(frozen=True)
class StatusPoint:
    """How many actions had each status at the end of one day."""

    day: date
    counts: Mapping[str, int]


def status_series(
    actions: Iterable[Mapping[str, Any]],
    updates: Iterable[Mapping[str, Any]],
    *,
    start: date,
    end: date,
    max_points: int = 60,
) -> list[StatusPoint]:
    """Each action's status at the end of each sampled day from start to end (London dates).

    actions: {"id", "created_at", "status"}; updates: {"action", "from_status", "to_status",
    "created_at"} (status changes only matter). An action counts from the day it was created,
    with the status it had then (the first change's from_status, else its current status).
    """
    changes: dict[int, list[tuple[datetime, str | None, str]]] = {}
    for u in updates:
        if u.get("to_status"):
            changes.setdefault(int(u["action"]), []).append(
                (u["created_at"], u.get("from_status"), str(u["to_status"])))
    timelines: list[tuple[date, list[tuple[date, str]], str]] = []
    for a in actions:
        mine = sorted(changes.get(int(a["id"]), []), key=lambda c: c[0])
        initial = str(mine[0][1] or a["status"]) if mine else str(a["status"])
        created = a["created_at"]
        assert isinstance(created, datetime)
        timelines.append((local_date(created), [(local_date(t), s) for t, _, s in mine], initial))
    if end < start:
        end = start
    days = (end - start).days
    step = max(1, -(-days // max(max_points - 1, 1)))
    sample = [start + timedelta(days=d) for d in range(0, days + 1, step)]
    if sample[-1] != end:
        sample.append(end)
    series = []
    for day in sample:
        counts = dict.fromkeys(STATUS_ORDER, 0)
        for created_on, history, initial in timelines:
            if created_on > day:
                continue
            status = initial
            for changed_on, to_status in history:
                if changed_on <= day:
                    status = to_status
            if status in counts:
                counts[status] += 1
        series.append(StatusPoint(day=day, counts=counts))
    return series


def status_over_time_svg(series: Sequence[StatusPoint], *,
                         title: str = "Action status over time", width: int = 640,
                         height: int = 260) -> str:
    """A stacked step chart: how many actions were done, in progress, not started, not achieved."""
    left, right, top, bottom, legend_h = 40, 12, 10, 34, 26
    plot_w, plot_h = width - left - right, height - top - bottom - legend_h
    total_max = max((sum(p.counts.values()) for p in series), default=0) or 1
    summary = status_over_time_summary(series)
    slug = _slug(title)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tracker-chart" role="img" '
        f'aria-labelledby="{slug}-t {slug}-d" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" font-family="{_x(FONT)}">',
        f'<title id="{slug}-t">{_x(title)}</title>',
        f'<desc id="{slug}-d">{_x(summary)}</desc>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#f3f2f1"/>',
    ]
    n = len(series)
    if n:
        col_w = plot_w / n

        def y_of(v: float) -> float:
            return top + plot_h - plot_h * v / total_max

        # One polygon per status, stacked in STATUS_ORDER, drawn as steps (one column per day).
        base = [0.0] * n
        for status in STATUS_ORDER:
            upper = [base[i] + series[i].counts.get(status, 0) for i in range(n)]
            if any(upper[i] != base[i] for i in range(n)):
                pts: list[str] = []
                for i in range(n):
                    x0, x1 = left + i * col_w, left + (i + 1) * col_w
                    pts += [f"{_num(x0)},{_num(y_of(upper[i]))}",
                            f"{_num(x1)},{_num(y_of(upper[i]))}"]
                for i in reversed(range(n)):
                    x0, x1 = left + i * col_w, left + (i + 1) * col_w
                    pts += [f"{_num(x1)},{_num(y_of(base[i]))}",
                            f"{_num(x0)},{_num(y_of(base[i]))}"]
                out.append(f'<polygon class="area-{status}" points="{" ".join(pts)}" '
                           f'fill="{STATUS_COLOURS[status]}"/>')
            base = upper
        # Axis labels: first and last day, and the y maximum.
        out.append(f'<text x="{left}" y="{top + plot_h + 18}" font-size="13" '
                   f'fill="{TEXT_COLOUR}">{_x(series[0].day.strftime("%-d %b"))}</text>')
        out.append(f'<text x="{left + plot_w}" y="{top + plot_h + 18}" font-size="13" '
                   f'text-anchor="end" fill="{TEXT_COLOUR}">'
                   f'{_x(series[-1].day.strftime("%-d %b"))}</text>')
    out.append(f'<text x="{left - 6}" y="{top + 12}" font-size="13" text-anchor="end" '
               f'fill="{TEXT_COLOUR}">{total_max}</text>')
    out.append(f'<text x="{left - 6}" y="{top + plot_h}" font-size="13" text-anchor="end" '
               f'fill="{TEXT_COLOUR}">0</text>')
    out.append(_legend(left, height - legend_h + 6))
    out.append("</svg>")
    return "".join(out)


def status_over_time_summary(series: Sequence[StatusPoint]) -> str:
    """The first and last sampled day in words."""
    if not series:
        return "No actions yet."

    def words(p: StatusPoint) -> str:
        return ", ".join(f"{p.counts.get(s, 0)} {STATUS_LABELS[s].lower()}" for s in STATUS_ORDER)

    first, last = series[0], series[-1]
    return (f"On {first.day:%-d %B %Y}: {words(first)}. "
            f"On {last.day:%-d %B %Y}: {words(last)}.")


def key_points(series: Sequence[StatusPoint], limit: int = 8) -> list[StatusPoint]:
    """The days where a count changed (plus first and last): the text alternative's rows."""
    if not series:
        return []
    kept = [series[0]]
    for p in series[1:]:
        if dict(p.counts) != dict(kept[-1].counts):
            kept.append(p)
    if kept[-1] is not series[-1]:
        kept.append(series[-1])
    if len(kept) > limit:
        kept = kept[:1] + kept[-(limit - 1):]
    return kept
