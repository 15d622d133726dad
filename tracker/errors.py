"""Errors the services raise; the web layers turn them into 400/403/404 answers."""

from __future__ import annotations

from collections.abc import Mapping


class FieldErrors(Exception):
    """Bad input: one plain-English message per field. Nothing has been written."""

    def __init__(
        self, errors: Mapping[str, str], detail: str = "Please check the fields named below."
    ) -> None:
        super().__init__(detail)
        self.errors = dict(errors)
        self.detail = detail


class NotFound(Exception):
    """The record does not exist, or the caller may not know it exists (same answer)."""


class Forbidden(Exception):
    """The caller can see the record but may not make this change."""
