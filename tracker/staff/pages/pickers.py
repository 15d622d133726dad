"""Pick-lists that fit an authority of hundreds of staff: the people around the family first,
then a search over active professionals.

An action's owner is offered from the family's adults (safe to contact) and the professionals
already working with the family (its lead, its conferences' chairs and invitees, the owners of its
actions); anyone else is found by a search. A conference's invitees likewise: those working with
the family, whoever is already invited, and a search. Both searches work without JavaScript: the
form's "Find" button posts the form back, and the page comes back with the results and everything
typed kept (nothing is saved). Accounts that only chair or administer are found only when they
already work with the family.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tracker.people.tables import StaffUser
from tracker.plans.tables import FamilyMember
from tracker.validate import text_problem

SEARCH_MAX = 100
"""The longest search a picker accepts."""
FOUND_LIMIT = 20
"""At most this many professionals are offered for one search."""

_WORKING_SQL = """
SELECT u.id, u.name, u.agency, u.role_title FROM staff_user u WHERE u.active = {} AND u.id IN (
    SELECT f.lead_professional FROM family f WHERE f.id = {}
    UNION SELECT c.chair FROM conference c WHERE c.family = {}
    UNION SELECT ci."user" FROM conference_invitee ci JOIN conference c ON c.id = ci.conference
          WHERE c.family = {}
    UNION SELECT a.owner_user FROM action a JOIN plan p ON p.id = a.plan WHERE p.family = {}
) ORDER BY u.name, u.id
"""


def search_problem(raw: str) -> str | None:
    """What is wrong with a picker search as typed, or None."""
    if len(raw) > SEARCH_MAX:
        return f"Search with {SEARCH_MAX} characters or fewer."
    return text_problem(raw, multiline=False)


def _like(search: str) -> str:
    escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def working_with_family(family_id: int) -> list[dict[str, Any]]:
    """Active professionals already working with the family, by name."""
    return list(await StaffUser.raw(_WORKING_SQL, True, *[family_id] * 4))


async def find_professionals(search: str, *, skip: Iterable[int] = ()) -> list[dict[str, Any]]:
    """Active professionals whose name, agency or email holds the search (not chairs or admins
    alone); those already offered are left out."""
    search = search.strip()
    if not search or search_problem(search):
        return []
    skipped = sorted(set(skip))
    rows = await StaffUser.raw(
        "SELECT id, name, agency, role_title FROM staff_user WHERE active = {} "
        "AND roles LIKE {} AND (LOWER(name) LIKE {} ESCAPE '\\' "
        "OR LOWER(agency) LIKE {} ESCAPE '\\' OR LOWER(email) LIKE {} ESCAPE '\\') "
        "ORDER BY name, id LIMIT {}",
        True, "%professional%", *[_like(search)] * 3, FOUND_LIMIT + len(skipped))
    return [r for r in rows if r["id"] not in skipped][:FOUND_LIMIT]


async def _named(ids: Iterable[int]) -> list[dict[str, Any]]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list(await StaffUser.select(
        StaffUser.id, StaffUser.name, StaffUser.agency, StaffUser.role_title,
    ).where(StaffUser.id.is_in(wanted) & (StaffUser.active == True)))  # noqa: E712


async def people_around(family_id: int, *, search: str = "",
                        keep: Iterable[int] = ()) -> dict[str, Any]:
    """Professionals working with the family (and any already chosen), and a search's finds."""
    around = await working_with_family(family_id)
    known = {p["id"] for p in around}
    around += [p for p in await _named(keep) if p["id"] not in known]
    found = await find_professionals(search, skip={p["id"] for p in around})
    return {"staff": around, "found": found, "search": search}


async def owner_choices(family_id: int, *, search: str = "",
                        keep: Iterable[int] = ()) -> dict[str, Any]:
    """Who can own an action: the family's adults safe to contact, then professionals."""
    members = await FamilyMember.select(
        FamilyMember.id, FamilyMember.name, FamilyMember.relationship
    ).where((FamilyMember.family == family_id)
            & (FamilyMember.safe_to_contact == True)).order_by(FamilyMember.id)  # noqa: E712
    return {"members": members, **await people_around(family_id, search=search, keep=keep)}


def find_pressed(data: Mapping[str, Any], button: str, field: str,
                 field_id: str) -> tuple[str, dict[str, str]] | None:
    """When the form came back from a picker's Find button: the search, and its problem if any."""
    if button not in data:
        return None
    raw = data.get(field, "")
    search = str(raw[-1] if isinstance(raw, list) and raw else raw or "").strip()
    problem = search_problem(search)
    return ("", {field_id: problem}) if problem else (search, {})
