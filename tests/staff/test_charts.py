"""The SVG pictures: valid XML, accessible, bars proportional, text escaped, history replayed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

from tracker.staff.charts import (
    OutcomeBar,
    StatusPoint,
    key_points,
    outcome_progress_svg,
    status_over_time_svg,
    status_series,
)

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_outcome_chart_is_valid_svg_with_role_title_and_desc():
    root = _parse(outcome_progress_svg([OutcomeBar("Rosie goes to school", done=1, in_progress=1)]))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "Progress by outcome"
    assert desc is not None and "1 of 2 actions done (50%)" in desc.text
    assert set(root.get("aria-labelledby").split()) == {title.get("id"), desc.get("id")}


def test_outcome_bar_segments_are_proportional_to_counts():
    root = _parse(outcome_progress_svg(
        [OutcomeBar("A", done=3, in_progress=1), OutcomeBar("B", done=1, not_started=3)],
        width=510))  # bar width 400
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")
              if (r.get("class") or "").startswith("seg-")]
    assert widths == [300.0, 100.0, 100.0, 300.0]  # 3:1 of a 400-wide bar, then 1:3


def test_a_zero_action_outcome_draws_an_empty_bar_and_says_so():
    svg = outcome_progress_svg([OutcomeBar("Nothing agreed yet")])
    root = _parse(svg)
    assert not [r for r in root.iter(f"{SVG}rect") if (r.get("class") or "").startswith("seg-")]
    assert "0 of 0 actions done" in root.find(f"{SVG}desc").text


def test_text_in_charts_is_escaped():
    nasty = '<script>alert("x")</script> & Rosie\'s "plan"'
    svg = outcome_progress_svg([OutcomeBar(nasty, done=1)], title="Plan <b>1</b>")
    assert "<script>" not in svg and "<b>" not in svg
    root = _parse(svg)  # still valid XML
    assert "<script>" in "".join(root.itertext())
    assert root.find(f"{SVG}title").text == "Plan <b>1</b>"


def test_no_outcomes_still_gives_a_valid_picture():
    root = _parse(outcome_progress_svg([]))
    assert "No outcomes" in root.find(f"{SVG}desc").text


def _t(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def test_status_series_replays_progress_updates_day_by_day():
    actions = [
        {"id": 1, "created_at": _t(1), "status": "done"},
        {"id": 2, "created_at": _t(1), "status": "not_started"},
        {"id": 3, "created_at": _t(3), "status": "in_progress"},  # carried forward as started
    ]
    updates = [
        {"action": 1, "from_status": "not_started", "to_status": "in_progress",
         "created_at": _t(2)},
        {"action": 1, "from_status": "in_progress", "to_status": "done", "created_at": _t(4)},
        {"action": 2, "from_status": None, "to_status": None, "created_at": _t(2)},  # a note
    ]
    series = status_series(actions, updates, start=date(2026, 11, 1), end=date(2026, 11, 5))
    by_day = {p.day.day: p.counts for p in series}
    assert by_day[1] == {"done": 0, "in_progress": 0, "not_started": 2, "not_achieved": 0}
    assert by_day[2] == {"done": 0, "in_progress": 1, "not_started": 1, "not_achieved": 0}
    assert by_day[3]["in_progress"] == 2
    assert by_day[4] == {"done": 1, "in_progress": 1, "not_started": 1, "not_achieved": 0}
    assert [p.day.day for p in key_points(series)] == [1, 2, 3, 4, 5]


def test_status_series_samples_long_plans_and_keeps_the_last_day():
    actions = [{"id": 1, "created_at": _t(1), "status": "not_started"}]
    series = status_series(actions, [], start=date(2026, 1, 1), end=date(2026, 12, 31),
                           max_points=30)
    assert len(series) <= 31 and series[-1].day == date(2026, 12, 31)


def test_status_chart_is_valid_svg_with_stacked_areas():
    series = [StatusPoint(date(2026, 11, d), {"done": d - 1, "in_progress": 1,
                                               "not_started": 5 - d, "not_achieved": 0})
              for d in range(1, 5)]
    root = _parse(status_over_time_svg(series))
    assert root.get("role") == "img"
    classes = [p.get("class") for p in root.iter(f"{SVG}polygon")]
    assert classes == ["area-done", "area-in_progress", "area-not_started"]
    assert "On 1 November 2026: 0 done, 1 in progress, 4 not started yet, 0 not achieved" in \
        root.find(f"{SVG}desc").text


def test_status_chart_with_no_data_is_valid():
    root = _parse(status_over_time_svg([]))
    assert root.find(f"{SVG}desc").text == "No actions yet."
