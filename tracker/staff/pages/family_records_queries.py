"""Read models for the family record pages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tracker.people.tables import StaffUser
from tracker.staff.pages import pickers


async def lead_choices(*, keep: Iterable[int | None] = (), search: str = "") -> dict[str, Any]:
    """Who the lead picker offers: the people already chosen or suggested (the caller, the
    current lead), then a search over active professionals (not accounts that only chair or
    administer) — an authority has hundreds of staff, too many for one list."""
    wanted = sorted({i for i in keep if i})
    kept = list(await StaffUser.select(StaffUser.id, StaffUser.name, StaffUser.agency).where(
        StaffUser.id.is_in(wanted) & (StaffUser.active == True)  # noqa: E712
        & StaffUser.roles.like("%professional%")).order_by(StaffUser.name)) if wanted else []
    found = await pickers.find_professionals(search, skip=[p["id"] for p in kept])
    return {"leads": kept + [{"id": p["id"], "name": p["name"], "agency": p["agency"]} for p in found],
            "lead_search": search, "lead_found": len(found)}
