"""The signed-in professional as every access rule sees them, and the roles they may hold."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ROLES = ("professional", "chair", "admin")


def parse_roles(value: str) -> frozenset[str]:
    """The stored comma-separated roles as a set."""
    return frozenset(r.strip() for r in (value or "").split(",") if r.strip() in ROLES)


@dataclass(frozen=True)
class Caller:
    """A signed-in professional, as the access rules see them."""

    id: int
    name: str
    email: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        """Admins see every family."""
        return "admin" in self.roles

    @property
    def is_chair(self) -> bool:
        """Chairs (QAROs) run conferences and review plans."""
        return "chair" in self.roles

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Caller:
        """Build from a staff_user row."""
        return cls(
            id=row["id"],
            name=row["name"],
            email=row["email"],
            roles=parse_roles(row["roles"]),
        )
