"""Response bodies of the family-link API (`/api/v1/members/...`)."""

from __future__ import annotations

from tracker.api_responses import Out


class RevokedLinksOut(Out):
    """A member's plan links stopped: how many links and open family sessions were ended
    (0 when there were none: not an error)."""

    member_id: int
    revoked: int
