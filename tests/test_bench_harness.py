"""`make bench`'s harness: a failed or timed-out run is never reported as a target met, every
endpoint is reported, queries per request are compared endpoint by endpoint, and a kept database
is only reused for the scale and generator it was made with."""

from __future__ import annotations

from typing import Any

from bench import report
from bench.load import MIN_REQUESTS, WRK_LINE, Result
from bench.web import kept_at, reuse_key


def run(endpoint: str, clients: int, rps: float, *, p95: float = 10.0, requests: int = 500,
        errors: int = 0, timeouts: int = 0) -> dict[str, Any]:
    result = Result(rps, 1.0, p95, p95 * 1.2, requests, 10.0, errors, timeouts, "wrk")
    return {"endpoint": endpoint, "clients": clients, "rps": rps, "p50": 1.0, "p95": p95, "p99": p95 * 1.2,
            "requests": requests, "seconds": 10.0, "errors": errors, "timeouts": timeouts, "tool": "wrk",
            "problem": result.problem, "rough": result.rough}


def figures(load: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"label": "PostgreSQL", "load": load, "queries_demo": {}, "queries_full": {},
                            "dispatch": {}, "materialise": {}}
    return {**base, **more}


BARE = [run("bare Litestar", 16, 9000.0), run("bare Litestar (again)", 16, 11000.0)]


def line(lines: list[str], start: str) -> str:
    found = [text for text in lines if text.startswith(start)]
    assert len(found) == 1, (start, lines)
    return found[0]


def test_a_run_with_timeouts_or_errors_or_no_answer_is_not_a_measurement() -> None:
    assert Result(0.0, 0.0, 0.0, 0.0, 0, 60.0, 0, 0, "wrk").problem == "no request finished in 60 s"
    assert "had no answer within 10 s" in (Result(3.0, 9.0, 9.9, 9.9, 30, 10.0, 0, 4, "wrk").problem or "")
    assert "failed" in (Result(3.0, 9.0, 9.9, 9.9, 30, 10.0, 2, 0, "wrk").problem or "")
    assert Result(30.0, 9.0, 9.9, 9.9, 300, 10.0, 0, 0, "wrk").problem is None
    assert Result(3.0, 9.0, 9.9, 9.9, MIN_REQUESTS - 1, 10.0, 0, 0, "wrk").rough


def test_a_zero_row_is_not_measured_never_met() -> None:
    load = [*BARE, run("/chair", 16, 0.0, p95=0.0, requests=0), run("family page", 16, 0.0, p95=0.0,
                                                                    requests=40, timeouts=40)]
    lines = report._targets(figures(load))
    assert line(lines, "- PostgreSQL: /chair p95").endswith("not measured (no request finished in 10 s)")
    family = line(lines, "- PostgreSQL: family page p95")
    assert "not measured (40 of 40 requests had no answer" in family
    assert not any(text.endswith(": met") for text in lines if "/chair" in text or "family page" in text)
    table = "\n".join(report._load_table(figures(load)))
    assert "| /chair | 16 | not measured: no request finished in 10 s |" in table


def test_ratios_use_the_mean_of_the_bare_runs_before_and_after() -> None:
    lines = report._targets(figures([*BARE, run("/families", 16, 250.0)]))
    assert line(lines, "- PostgreSQL: /families at 16 clients").endswith(
        "0.0250 (250.0 / 10,000 requests/s): met")
    missed = report._targets(figures([*BARE, run("/families", 16, 150.0)]))
    assert line(missed, "- PostgreSQL: /families at 16 clients").endswith("MISSED")


def test_an_endpoint_that_was_not_loaded_is_reported_as_not_measured() -> None:
    lines = report._targets(figures(BARE))
    for name in report.RATIO_TARGETS:
        assert line(lines, f"- PostgreSQL: {name} at 16 clients").endswith("not measured (no run at 16 clients)")


def test_queries_per_request_are_compared_per_endpoint() -> None:
    result = figures(BARE, queries_demo={"family page": 11, "/actions": 12, "/chair": 8},
                     queries_full={"family page": 11, "/actions": 11, "/chair": "answered 500"})
    verdict = line(report._targets(result), "- PostgreSQL: queries per request")
    assert "MISSED for /actions (12 at demo size, 11 at full); /chair (8 at demo size, answered 500 at full)" \
        in verdict
    assert "(the same for 1 of 3)" in verdict
    table = "\n".join(report._endpoint_table(result))
    assert "| family page | 11 | 11 | same |" in table
    assert "| /actions | 12 | 11 | DIFFER (12 / 11) |" in table


def test_a_dispatch_that_did_not_send_everything_is_not_measured() -> None:
    short = figures(BARE, dispatch={"messages": 900, "asked": 1000, "per_minute": 9000.0})
    assert line(report._targets(short), "- PostgreSQL: dispatch").endswith("not measured (sent 900 of 1000 texts)")
    full = figures(BARE, dispatch={"messages": 1000, "asked": 1000, "per_minute": 6500.0})
    assert line(report._targets(full), "- PostgreSQL: dispatch").endswith("(target ≥ 6,000): met")


def test_materialising_below_a_million_actions_is_extrapolated() -> None:
    result = figures(BARE, materialise={"actions": 100_000, "seconds": 10.0, "materialised": 5})
    text = line(report._targets(result), "- PostgreSQL: materialising")
    assert "100 s scaled to 1,000,000" in text
    assert text.endswith("MISSED (extrapolated)")


def test_the_machine_line_warns_when_the_start_load_is_above_one() -> None:
    assert "Warning: load average 2.50 at the start" in report.machine("wrk", 2.5, 3.0, 60.0)
    quiet = report.machine("wrk", 0.4, 0.9, 60.0)
    assert "load average 0.40 at the start and 0.90 at the end" in quiet
    assert "Warning" not in quiet


def test_wrk_output_is_read_with_its_timeouts_and_errors_apart() -> None:
    found = WRK_LINE.search("BENCH requests=120 seconds=10.004 p50=80.100 p95=120.500 p99=150.000 "
                            "errors=1 timeouts=2 non2xx=3\n")
    assert found is not None
    assert found.groups() == ("120", "10.004", "80.100", "120.500", "150.000", "1", "2", "3")


def test_a_kept_database_is_keyed_by_scale_and_database() -> None:
    key = reuse_key(1.0, "PostgreSQL")
    assert kept_at(key, 1.0, "PostgreSQL")
    assert not kept_at(key, 0.1, "PostgreSQL")
    assert not kept_at(key + "0", 1.0, "PostgreSQL")
    assert reuse_key(0.1, "PostgreSQL") != key
    # Clearing SQLite's stale files never touches PostgreSQL's (nor the other way round).
    sqlite_key = reuse_key(1.0, "SQLite")
    assert kept_at(sqlite_key, 1.0, "SQLite")
    assert not kept_at(sqlite_key, 1.0, "PostgreSQL")
    assert not kept_at(key, 1.0, "SQLite")


def test_a_materialise_that_failed_is_not_measured() -> None:
    result = figures(BARE, materialise={"actions": 1_000_008, "seconds": 2.5, "materialised": 0,
                                        "error": "InterfaceError: the number of query arguments cannot exceed 32767"})
    text = line(report._targets(result), "- PostgreSQL: materialising")
    assert "not measured (failed over 1,000,008 actions after 2.5 s: InterfaceError" in text
    assert not text.endswith("met")


def test_query_counts_built_and_kept_are_compared_whole():
    from bench.report import _same

    same = {"/chair": "13 built, 2 kept"}
    assert _same(same, dict(same), "/chair") == "same"
    assert _same(same, {"/chair": "14 built, 2 kept"}, "/chair").startswith("DIFFER")
    assert _same(same, {"/chair": "answered 500"}, "/chair") == "not measured"
