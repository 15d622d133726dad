"""Read models for the family record pages."""

from __future__ import annotations

from typing import Any

from tracker.people.tables import StaffUser


async def lead_choices() -> list[dict[str, Any]]:
    """Who can lead a family: active professionals (not accounts that only chair or administer)."""
    return await StaffUser.select(StaffUser.id, StaffUser.name, StaffUser.agency).where(
        (StaffUser.active == True) & StaffUser.roles.like("%professional%")  # noqa: E712
    ).order_by(StaffUser.name)
