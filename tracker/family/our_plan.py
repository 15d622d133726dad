"""A plan that is theirs: what the member has done across plan versions, the children's words and
the family's strengths when the chair shares them, what kind of plan it is, and "Our plan" (a
one-page copy to print, or to have by email as a PDF).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tracker.clock import local_date
from tracker.db import atomic
from tracker.errors import FieldErrors
from tracker.family.our_plan_pdf import plan_pdf
from tracker.family.service import N_, Redactor, family_page, family_redactor
from tracker.family.sessions import FamilyAccess
from tracker.notify.outbox import attachment_context, enqueue
from tracker.notify.quiet import SendWindows
from tracker.plans.tables import Action, FamilyMember, Plan

# What kind of plan it is, and what that means, in the family's words (no jargon).
PLAN_KINDS: dict[str, tuple[str, str]] = {
    "child_protection": (
        N_("This is a child protection plan."),
        N_("It is for when there are serious worries about a child's safety, and everyone works "
           "with you to keep them safe. Everyone looks at it together at a review meeting."),
    ),
    "child_in_need": (
        N_("This is a child in need plan."),
        N_("It is for when a family would like some extra help so the children can be healthy "
           "and do well. Everyone looks at it together at a review meeting."),
    ),
}
DONE_SHOWN = 50


async def done_before(access: FamilyAccess, redact: Redactor | None = None) -> list[dict[str, Any]]:
    """The member's steps done on earlier versions of the plan, newest first."""
    redact = redact or await family_redactor(access.family_id)
    rows = await Action.select(Action.description, Action.updated_at).where(
        (Action.owner_member == access.member_id) & (Action.status == "done")
        & (Action.plan != access.plan_id) & (Action.plan._.family == access.family_id)
    ).order_by(Action.updated_at, ascending=False).order_by(Action.id, ascending=False).limit(
        DONE_SHOWN)
    return [{"description": redact(r["description"]), "done_on": local_date(r["updated_at"])}
            for r in rows]


async def shared_words(access: FamilyAccess, redact: Redactor | None = None) -> dict[str, str]:
    """The children's words and the family's strengths from the conference that made the plan,
    each only when the chair marked it to share."""
    row = await Plan.select(
        Plan.kind,
        Plan.conference._.children_views.as_alias("children_views"),
        Plan.conference._.family_reflections.as_alias("family_reflections"),
        Plan.conference._.share_children_views.as_alias("share_children_views"),
        Plan.conference._.share_family_reflections.as_alias("share_family_reflections"),
    ).where(Plan.id == access.plan_id).first()
    if row is None:
        return {"plan_kind": "", "children_words": "", "family_strengths": ""}
    redact = redact or await family_redactor(access.family_id)
    return {
        "plan_kind": row["kind"],
        "children_words": redact(row["children_views"]) if row["share_children_views"] else "",
        "family_strengths": (redact(row["family_reflections"])
                             if row["share_family_reflections"] else ""),
    }


async def theirs(access: FamilyAccess, redact: Redactor | None = None) -> dict[str, Any]:
    """What the family page adds for a plan that is theirs (each shown in its own partial)."""
    redact = redact or await family_redactor(access.family_id)
    words = await shared_words(access, redact)
    kind = PLAN_KINDS.get(words["plan_kind"], ("", ""))
    return {"done_before": await done_before(access, redact),
            "children_words": words["children_words"],
            "family_strengths": words["family_strengths"], "plan_kind_title": kind[0],
            "plan_kind_meaning": kind[1]}


async def our_plan(access: FamilyAccess, *, now: datetime, today: date) -> dict[str, Any]:
    """Everything the one-page "Our plan" shows: the family page's words, and what is theirs."""
    data = await family_page(access, now=now, today=today)
    return {**data, **await theirs(access, data["redact"])}


async def send_copy(access: FamilyAccess, *, now: datetime, today: date, windows: SendWindows,
                    authority_name: str) -> int | None:
    """Email the member a PDF of "Our plan", through the outbox (FieldErrors without an email).

    Returns the outbox row's id, or None when the same copy was asked for this minute already.
    """
    member = await FamilyMember.select(FamilyMember.email, FamilyMember.safe_to_contact).where(
        FamilyMember.id == access.member_id).first()
    if member is None or not member["email"]:
        raise FieldErrors({"email": N_("We do not have an email address for you. Ask your lead "
                                       "professional to add it, then try again.")})
    data = await our_plan(access, now=now, today=today)
    pdf = plan_pdf(data, authority_name=authority_name, made_on=today)
    async with atomic():
        # One copy a minute at most: pressing the button twice sends one email.
        key = f"our_plan_copy:member:{access.member_id}:{now:%Y%m%dT%H%M}"
        return await enqueue(
            channel="email", template="our_plan_copy", due_at=now, key=key,
            recipient_member_id=access.member_id, windows=windows,
            context={"name": access.member_name, "needs_link": True,
                     "attachment": attachment_context("our-plan.pdf", "application/pdf", pdf)},
        )

