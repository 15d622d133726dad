"""Response bodies of the family-link API (`/api/v1/members/...`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta

from tracker.api_responses import Out
from tracker.plans.schemas import Body, Id


class RevokedLinksOut(Out):
    """A member's plan links stopped: how many links and open family sessions were ended
    (0 when there were none: not an error)."""

    member_id: int
    revoked: int


class MessageAuthorOut(Out):
    """Who wrote words on a plan: a family member, or a professional replying to one."""

    kind: Literal["user", "member"]
    user_id: int | None
    member_id: int | None
    name: str


class PlanMessageOut(Out):
    """A family member's message on a plan, or a professional's reply to them."""

    id: int
    # The family member who wrote it, or whom the reply is to.
    member_id: int | None
    author: MessageAuthorOut
    body: str
    # Who among the professionals may read it: `lead` (the lead professional, and whoever
    # wrote a reply) or `core_group` (every professional working with the family).
    visibility: Literal["lead", "core_group"]
    # How it came: family_link (their plan page), sms (a text reply), staff (a reply).
    channel: str
    created_at: datetime


class ReplyIn(Body):
    """A professional's reply to a family member on the plan."""

    member_id: Id
    # Up to 1000 characters are kept; the bound here only stops an oversized body early.
    body: Annotated[str, Meta(max_length=20000)]


class WidenIn(Body):
    """The lead lets everyone working with the family read a family member's lead-only words."""

    # Why: kept in the audit trail (up to 500 characters are kept).
    reason: Annotated[str, Meta(max_length=20000)]
