"""Field checks and settings: plain messages, E.164 numbers, safe defaults, strict production."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracker.audit import created, diff
from tracker.clock import parse_now
from tracker.settings import Settings, SettingsError, settings_table
from tracker.validate import check_email, check_text, normalise_mobile


@pytest.mark.parametrize("raw,expected", [
    ("07911 123456", "+447911123456"),
    ("+44 7911 123456", "+447911123456"),
    ("(07911) 123-456", "+447911123456"),
    ("07700 900123", "+447700900123"),  # Ofcom's drama range: never a real person
])
def test_uk_mobiles_are_stored_as_e164(raw, expected):
    assert normalise_mobile(raw) == expected


@pytest.mark.parametrize("raw,message", [
    ("020 7946 0000", "landline"),
    ("12345", "mobile number"),
    ("call me", "mobile number"),
])
def test_numbers_that_cannot_take_a_text_are_explained(raw, message):
    with pytest.raises(ValueError, match=message):
        normalise_mobile(raw)


def test_emails_and_text_lengths_are_checked_with_plain_messages():
    assert check_email("  jess@example.org ") == "jess@example.org"
    with pytest.raises(ValueError, match="email address"):
        check_email("jess@")
    with pytest.raises(ValueError, match="Enter the name"):
        check_text("  ", field_label="the name")
    with pytest.raises(ValueError, match="10 characters or fewer"):
        check_text("x" * 11, field_label="a note", max_length=10)


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env({"TRACKER_ENV": "production", "VAR_DIR": str(tmp_path)})


def test_a_development_secret_is_generated_once_into_var_and_kept_private(tmp_path):
    first = Settings.from_env({"VAR_DIR": str(tmp_path)})
    second = Settings.from_env({"VAR_DIR": str(tmp_path)})
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 40
    assert (Path(tmp_path) / "secret_key").stat().st_mode & 0o077 == 0


def test_settings_read_types_and_refuse_nonsense(tmp_path):
    s = Settings.from_env({"VAR_DIR": str(tmp_path), "PORT": "9001", "PUBLIC_BASE_URL": "https://x.org/"})
    assert s.port == 9001 and s.public_base_url == "https://x.org" and s.secure_cookies
    with pytest.raises(SettingsError):
        Settings.from_env({"VAR_DIR": str(tmp_path), "PORT": "eighty"})
    with pytest.raises(SettingsError):
        Settings.from_env({"VAR_DIR": str(tmp_path), "TRACKER_ENV": "staging"})
    assert "| `DATABASE_URL` |" in settings_table()


def test_now_is_parsed_as_london_time_when_naive():
    assert parse_now("2026-07-01T09:00") == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert parse_now("2026-12-01T09:00") == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert parse_now("2026-12-01T09:00:00+00:00") == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_audit_diff_keeps_only_what_changed():
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": [2, 3]}
    assert created({"x": datetime(2026, 1, 1, tzinfo=UTC)}) == {"x": [None, "2026-01-01T00:00:00+00:00"]}
