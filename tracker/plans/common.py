"""What the plan use-cases share: statutory timings, field helpers, record-to-family look-ups, the language check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from msgspec import UNSET, UnsetType

from tracker.clock import LONDON, local_date
from tracker.errors import NotFound
from tracker.people.tables import StaffUser
from tracker.plans.dates import (
    StatutoryRules,
    WorkingCalendar,
    england_calendar,
)
from tracker.plans.language import LanguageRule, load_rules
from tracker.plans.language import check_text as run_check
from tracker.plans.language_tone import ToneModel, load_model
from tracker.plans.plain_english import check_wording as run_checks
from tracker.plans.plain_english import load_terms
from tracker.plans.tables import (
    Action,
    Conference,
    Plan,
)
from tracker.settings import Settings
from tracker.validate import DateWindow

if TYPE_CHECKING:  # TypeIs is in typing from Python 3.13; mypy reads it from its own stubs
    from typing_extensions import TypeIs

T = TypeVar("T")

HISTORY_IS_KEPT = (
    "This plan has been replaced or ended and is kept as history: update the action on the "
    "current plan instead."
)


def working_calendar() -> WorkingCalendar:
    """England's working days (weekends and bank holidays skipped)."""
    return england_calendar()


@lru_cache(maxsize=8)
def _rules_from(path: str) -> tuple[LanguageRule, ...]:
    """The language rules in a file ("" for the bundled one), read once per path."""
    return load_rules(Path(path) if path else None)


@lru_cache(maxsize=8)
def _terms_from(path: str) -> tuple[LanguageRule, ...]:
    """The jargon list in a file ("" for the bundled one), read once per path."""
    return load_terms(Path(path) if path else None)


@lru_cache(maxsize=8)
def _tone_from(path: str) -> ToneModel | None:
    """The tone model in a file ("" for the bundled one, "off" for none), read once per path."""
    if path.strip().lower() == "off":
        return None
    return load_model(Path(path) if path else None)


@dataclass(frozen=True)
class PlanPolicy:
    """What an authority decides about plans: statutory timings, the date span, language rules
    and tone model, and the plain-English jargon list.

    Built once from the settings by whoever decides behaviour (`create_app`, the CLI, a
    test) and passed to the use-cases that need it; no plan module reads global settings.
    """

    statutory: StatutoryRules = field(default_factory=StatutoryRules)
    date_span_years: int = 5
    language: tuple[LanguageRule, ...] = field(default_factory=lambda: _rules_from(""))
    plain_terms: tuple[LanguageRule, ...] = field(default_factory=lambda: _terms_from(""))
    tone: ToneModel | None = field(default_factory=lambda: _tone_from(""))

    @classmethod
    def from_settings(cls, settings: Settings) -> PlanPolicy:
        return cls(
            statutory=StatutoryRules(
                first_review_months=settings.first_review_months,
                later_review_months=settings.later_review_months,
                report_working_days_before=settings.report_working_days_before,
                first_core_group_working_days=settings.first_core_group_working_days,
                core_group_interval_weeks=settings.core_group_interval_weeks,
            ),
            date_span_years=settings.date_span_years,
            language=_rules_from(settings.language_rules_path or ""),
            plain_terms=_terms_from(settings.plain_english_terms_path or ""),
            tone=_tone_from(settings.language_tone_path or ""),
        )

    def date_window(self, now: datetime) -> DateWindow:
        """The span around today that due dates, conferences and reviews must fall in."""
        return DateWindow(today=local_date(now), span_years=self.date_span_years)

    def check_language(self, text: str) -> list[dict[str, Any]]:
        """Findings of blaming or deficit phrasing in text, each with a restorative reframe."""
        return [f.to_dict() for f in run_check(text, self.language, self.tone)]

    def check_wording(self, text: str, audience: str = "professional") -> dict[str, Any]:
        """All checks for an audience: {"findings": [...]} plus "reading_age" for a family."""
        return run_checks(text, audience, self.language, self.plain_terms, self.tone)


def given(value: T | UnsetType) -> TypeIs[T]:
    """True when a request field was sent (msgspec leaves a missing one UNSET)."""
    return value is not UNSET


def as_utc(value: datetime) -> datetime:
    """A datetime from the API: naive values are read as Europe/London local time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LONDON)
    return value.astimezone(UTC)


async def plan_family(plan_id: int) -> int:
    """The family a plan belongs to (NotFound when there is no such plan)."""
    row = await Plan.select(Plan.family).where(Plan.id == plan_id).first()
    if row is None:
        raise NotFound(f"plan {plan_id}")
    return int(row["family"])


async def conference_family(conference_id: int) -> int:
    """The family a conference belongs to (NotFound when there is no such conference)."""
    row = await Conference.select(Conference.family).where(
        Conference.id == conference_id
    ).first()
    if row is None:
        raise NotFound(f"conference {conference_id}")
    return int(row["family"])


async def action_family(action_id: int) -> int:
    """The family an action belongs to (NotFound when there is no such action)."""
    row = await Action.select(Action.plan.family.as_alias("family_id")).where(
        Action.id == action_id).first()
    if row is None:
        raise NotFound(f"action {action_id}")
    return int(row["family_id"])


async def staff_directory() -> list[dict[str, Any]]:
    """Active professionals, for pickers and name look-ups."""
    return await StaffUser.select(
        StaffUser.id, StaffUser.name, StaffUser.email, StaffUser.role_title,
        StaffUser.agency, StaffUser.roles,
    ).where(StaffUser.active == True).order_by(StaffUser.name)  # noqa: E712
