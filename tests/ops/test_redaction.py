"""Secret tokens in paths never reach the logs."""

import logging

import pytest

from tracker.web import redact_path


@pytest.mark.parametrize("path,expected", [
    ("/f/AbC-123_xyz", "/f/[redacted]"),
    ("/reset/9f8e7d", "/reset/[redacted]"),
    ("/calendar/abcdef.ics", "/calendar/[redacted]"),
    ("/family", "/family"),
    ("/api/v1/plans/1", "/api/v1/plans/1"),
    ("/calendar", "/calendar"),
])
def test_paths_with_tokens_are_redacted(path, expected):
    assert redact_path(path) == expected


async def test_the_access_log_never_holds_a_family_link_token(client, caplog):
    token = "SeCrEtToKeN-should-not-appear"
    with caplog.at_level(logging.INFO, logger="tracker.access"):
        await client.get(f"/f/{token}")
        await client.get(f"/reset/{token}")
    ours = [r for r in caplog.records if r.name.startswith("tracker")]  # not the test client's own log
    assert ours, "the access log wrote nothing"
    assert all(token not in r.getMessage() for r in ours)
    assert any("/f/[redacted]" in r.getMessage() for r in ours)
