"""The one place that answers who may see and change a family's plan."""

from __future__ import annotations

from typing import Any

from tracker.errors import Forbidden, NotFound
from tracker.people.caller import Caller
from tracker.people.tables import StaffUser
from tracker.plans.tables import Action, Conference, ConferenceInvitee, CoreGroupPerson, Family


async def visible_family_ids(caller: Caller) -> set[int] | None:
    """Families the caller may see; None means every family (admins).

    A professional sees a family when they are its lead, are invited to one of its
    conferences or core group meetings, or own one of its actions; anyone sees families whose
    conferences they chair.
    """
    if caller.is_admin:
        return None
    ids: set[int] = set()
    lead = await Family.select(Family.id).where(Family.lead_professional == caller.id)
    ids.update(r["id"] for r in lead)
    invited = await ConferenceInvitee.select(
        ConferenceInvitee.conference.family.as_alias("family_id")
    ).where(ConferenceInvitee.user == caller.id)
    ids.update(r["family_id"] for r in invited)
    owns = await Action.select(Action.plan.family.as_alias("family_id")).where(
        Action.owner_user == caller.id
    )
    ids.update(r["family_id"] for r in owns)
    chairs = await Conference.select(Conference.family).where(Conference.chair == caller.id)
    ids.update(r["family"] for r in chairs)
    core_groups = await CoreGroupPerson.select(CoreGroupPerson.meeting.family.as_alias("family_id")).where(
        (CoreGroupPerson.user == caller.id) & (CoreGroupPerson.invited == True))  # noqa: E712
    ids.update(r["family_id"] for r in core_groups)
    return ids


# The rule as one SQL statement: the ids of the families the caller may see, for the caller's
# id in each of its VISIBLE_PLACEHOLDERS placeholders. Each branch is an indexed lookup, so the
# database knows the answer is a handful of families (an OR of subqueries on the family row
# read every family, and planners took it for most of them).
VISIBLE_FAMILY_IDS_SQL = """
    SELECT vf.id FROM family vf WHERE vf.lead_professional = {}
    UNION SELECT c.family FROM conference c WHERE c.chair = {}
    UNION SELECT c.family FROM conference_invitee ci
          JOIN conference c ON c.id = ci.conference WHERE ci."user" = {}
    UNION SELECT p.family FROM action a JOIN plan p ON p.id = a.plan WHERE a.owner_user = {}
    UNION SELECT m.family FROM core_group_person cp
          JOIN core_group_meeting m ON m.id = cp.meeting WHERE cp."user" = {} AND cp.invited
"""

# The same rule as one SQL condition on a family row aliased `f`: one round trip on every
# request that names a family, and the caseload's filter over every family at once (so the two
# can never disagree).
VISIBLE_TO_CALLER_SQL = "f.id IN (" + VISIBLE_FAMILY_IDS_SQL + ")"
VISIBLE_PLACEHOLDERS = 5

# Constant text joined to constant text; every value is a bound parameter.
_CAN_SEE_SQL = "SELECT 1 AS ok FROM family f WHERE f.id = {} AND " + VISIBLE_TO_CALLER_SQL  # noqa: S608


async def can_see_family(caller: Caller, family_id: int) -> bool:
    """True when the caller may see this family (see visible_family_ids for the rule)."""
    if caller.is_admin:
        return await Family.exists().where(Family.id == family_id)
    uid = caller.id
    rows = await Family.raw(_CAN_SEE_SQL, family_id, *[uid] * VISIBLE_PLACEHOLDERS)
    return bool(rows)


async def require_family(caller: Caller, family_id: int) -> None:
    """Raise NotFound unless the caller may see the family: hidden looks like missing."""
    if not await can_see_family(caller, family_id):
        raise NotFound(f"family {family_id}")


async def can_manage_family(caller: Caller, family_id: int) -> bool:
    """May change the family, its conferences and its plan: admin, lead, or one of its chairs."""
    if caller.is_admin:
        return True
    if await Family.exists().where(
        (Family.id == family_id) & (Family.lead_professional == caller.id)
    ):
        return True
    return await Conference.exists().where(
        (Conference.family == family_id) & (Conference.chair == caller.id)
    )


async def require_manage(caller: Caller, family_id: int) -> None:
    """NotFound when the family is hidden; Forbidden when visible but not the caller's to change."""
    await require_family(caller, family_id)
    if not await can_manage_family(caller, family_id):
        raise Forbidden(
            "Only the lead professional, the chair or an admin can change this family's plan."
        )


async def require_arrange_conference(caller: Caller, family_id: int) -> None:
    """May arrange a conference for this family: the same right as changing its plan.

    The one rule for the API route and the staff page alike (NotFound when hidden, Forbidden
    when visible but not the caller's to manage).
    """
    await require_family(caller, family_id)
    if not await can_manage_family(caller, family_id):
        raise Forbidden("Only the lead professional, the chair or an admin can arrange a conference.")


async def require_action_update(caller: Caller, action_id: int) -> int:
    """May add a progress update to this action: its owner, or whoever manages the family.

    Returns the action's family id.
    """
    row = (
        await Action.select(Action.owner_user, Action.plan.family.as_alias("family_id"))
        .where(Action.id == action_id)
        .first()
    )
    if row is None:
        raise NotFound(f"action {action_id}")
    family_id = int(row["family_id"])
    await require_family(caller, family_id)
    if row["owner_user"] == caller.id or await can_manage_family(caller, family_id):
        return family_id
    raise Forbidden("Only the action's owner, the lead professional or the chair can update it.")


async def active_user(user_id: int) -> dict[str, Any] | None:
    """The staff user row when it exists and is active."""
    return (
        await StaffUser.select()
        .where((StaffUser.id == user_id) & (StaffUser.active == True))  # noqa: E712
        .first()
    )


async def is_lead(caller: Caller, family_id: int) -> bool:
    """Is the caller this family's lead professional?"""
    return await Family.exists().where(
        (Family.id == family_id) & (Family.lead_professional == caller.id))


async def can_reply(caller: Caller, family_id: int, member_id: int) -> bool:
    """May answer this family member in the product: the family's lead, or a professional named
    as giving support on one of the member's steps in the current plan."""
    if await is_lead(caller, family_id):
        return True
    return await Action.exists().where(
        (Action.owner_member == member_id) & (Action.support_by == caller.id)
        & (Action.plan.family == family_id) & (Action.plan.status == "active"))


async def require_reply(caller: Caller, family_id: int, member_id: int) -> None:
    """NotFound when the family is hidden; Forbidden unless the caller may answer this member."""
    await require_family(caller, family_id)
    if not await can_reply(caller, family_id, member_id):
        raise Forbidden("Only the lead professional, or a professional giving support on one of "
                        "this person's steps, can reply to them.")


async def require_lead(caller: Caller, family_id: int) -> None:
    """NotFound when the family is hidden; Forbidden unless the caller is its lead."""
    await require_family(caller, family_id)
    if not await is_lead(caller, family_id):
        raise Forbidden("Only the family's lead professional can do this.")
