"""What a family member sees and does on their plan page: reading, updates, messages.

Everything is scoped by a FamilyAccess (one member, their family's current plan). The page
shows outcomes, the member's own steps, what each professional offered, the next review and
who to contact; it never shows other families, the conference's record of worries about an
adult, or anything of an adult recorded as not safe to contact (their name is taken out of
any text shown, in case a professional wrote it there).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tracker import audit
from tracker.clock import local_date
from tracker.db import atomic
from tracker.errors import FieldErrors, NotFound
from tracker.family.conversation import family_conversation, shared_notes
from tracker.family.sessions import FamilyAccess
from tracker.notify.outbox import enqueue
from tracker.notify.quiet import SendWindows
from tracker.people.tables import StaffUser
from tracker.plans import service as plans
from tracker.plans.read_cache import FAMILY_VERSION_SQL
from tracker.plans.routines import how_often
from tracker.plans.schemas import OPEN_STATUSES
from tracker.plans.tables import (
    Action,
    Child,
    Conference,
    Family,
    FamilyMember,
    Outcome,
    OutcomeChild,
    Plan,
    PlanMessage,
)
from tracker.plans.visibility import LEAD, VISIBILITIES

NOTE_MAX = 500
MESSAGE_MAX = 1000
# What a family member can say about one of their steps, and the status each one sets
# (None: the status stays as it is).
CHOICES: dict[str, str | None] = {"done": "done", "started": "in_progress", "help": None}
# The prefix professionals see on a progress update where the family asked for help; it is
# what the API's updates list and the staff pages show, so keep it stable.
HELP_PREFIX = "I need help with this"
REMOVED_NAME = "[name removed]"


def N_(message: str) -> str:  # noqa: N802 - the conventional name Babel's extractor looks for
    """Mark a message for translation; the page translates it when it shows it."""
    return message


WHO_READS_PROBLEM = N_("Choose who can read your words.")


@dataclass(frozen=True)
class Redactor:
    """Takes the names of adults who are not safe to contact out of text shown to the family."""

    pattern: re.Pattern[str] | None

    def __call__(self, text: str | None) -> str:
        """The text with those names replaced."""
        if not text:
            return ""
        if self.pattern is None:
            return text
        return self.pattern.sub(REMOVED_NAME, text)


def redactor_for(names: list[str]) -> Redactor:
    """A Redactor for these full names: each full name and its first name.

    Not the surname: the family often shares it, and the page would lose its own names.
    """
    parts: set[str] = set()
    for name in names:
        name = name.strip()
        if not name:
            continue
        parts.add(name)
        first = re.split(r"\s+", name)[0]
        if len(first) >= 2:
            parts.add(first)
    if not parts:
        return Redactor(None)
    alternatives = "|".join(re.escape(p) for p in sorted(parts, key=len, reverse=True))
    return Redactor(re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE))


async def _redactor(family_id: int) -> Redactor:
    hidden = await FamilyMember.select(FamilyMember.name).where(
        (FamilyMember.family == family_id) & (FamilyMember.safe_to_contact == False)  # noqa: E712
    )
    return redactor_for([m["name"] for m in hidden])


async def family_redactor(family_id: int) -> Redactor:
    """The Redactor for what a family's page shows (names of adults not safe to contact)."""
    return await _redactor(family_id)


async def _next_review(plan_id: int, now: datetime) -> dict[str, Any]:
    """The next review conference: its start time when booked, else the date it is due by."""
    plan = await Plan.select(Plan.family, Plan.conference).where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    booked = await Conference.select(Conference.starts_at).where(
        (Conference.family == plan["family"]) & (Conference.starts_at >= now)
        & (Conference.id != plan["conference"])
    ).order_by(Conference.starts_at).first()
    if booked:
        return {"starts_at": booked["starts_at"], "on": local_date(booked["starts_at"])}
    decided = await Conference.select(Conference.next_review_on).where(
        Conference.id == plan["conference"]).first()
    return {"starts_at": None, "on": decided["next_review_on"] if decided else None}


async def family_page(access: FamilyAccess, *, now: datetime, today: date) -> dict[str, Any]:
    """Everything the family page shows, already scoped and redacted."""
    redact = await _redactor(access.family_id)
    family = await Family.select(Family.name, Family.lead_professional).where(
        Family.id == access.family_id).first()
    children = {
        c["id"]: c["name"]
        for c in await Child.select(Child.id, Child.name).where(Child.family == access.family_id)
    }
    outcomes = await Outcome.select().where(Outcome.plan == access.plan_id).order_by(
        Outcome.position, Outcome.id)
    links = await OutcomeChild.select(OutcomeChild.outcome, OutcomeChild.child).where(
        OutcomeChild.outcome.is_in([o["id"] for o in outcomes] or [0]))
    actions = await Action.select(
        *Action.all_columns(),
        Action.owner_user.name.as_alias("owner_name"),
        Action.owner_user.role_title.as_alias("owner_role"),
        Action.support_by.name.as_alias("support_name"),
    ).where(
        (Action.plan == access.plan_id) & (Action.status != "cancelled")
    ).order_by(Action.due_on, Action.id)

    def view(a: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": a["id"],
            "description": redact(a["description"]),
            "success_measure": redact(a["success_measure"]),
            "support_offered": redact(a["support_offered"]),
            "support_name": a["support_name"] or "",
            "due_on": a["due_on"],
            "status": a["status"],
            "open": a["status"] in OPEN_STATUSES,
            "overdue": bool(a["due_on"] and a["due_on"] < today
                            and a["status"] in OPEN_STATUSES),
            "owner_name": a["owner_name"] or "",
            "owner_role": a["owner_role"] or "",
            # A routine step: how often, in words, and when everyone looks at how it is going.
            "how_often": how_often(a["repeats"], a["repeat_days"]),
            "review_on": a["review_on"],
        }

    mine = [view(a) for a in actions if a["owner_member"] == access.member_id]
    professionals = [view(a) for a in actions if a["owner_user"] is not None]
    lead = None
    if family and family["lead_professional"]:
        lead = await StaffUser.select(
            StaffUser.name, StaffUser.role_title, StaffUser.phone, StaffUser.email
        ).where(StaffUser.id == family["lead_professional"]).first()
    notes = await shared_notes([a["id"] for a in actions], redact)
    for a in mine + professionals:
        a["shared_notes"] = notes.get(a["id"], [])
    conversation = await family_conversation(access.member_id, access.plan_id, redact)
    # Every professional's detail the page shows, by (their id, the column; None and "" read
    # alike): a cached page is served again only while each still reads the same
    # (see page_version).
    staff_seen: dict[tuple[int, str], Any] = {}
    for a in actions:
        if a["owner_user"] is not None:
            staff_seen[(a["owner_user"], "name")] = a["owner_name"] or ""
            staff_seen[(a["owner_user"], "role_title")] = a["owner_role"] or ""
        if a["support_by"] is not None:
            staff_seen[(a["support_by"], "name")] = a["support_name"] or ""
    if lead is not None and family is not None:
        for column in STAFF_COLUMNS:
            staff_seen[(family["lead_professional"], column)] = lead[column] or ""
    for said in [n for a_notes in notes.values() for n in a_notes] + conversation:
        if said["author_user"] is not None:
            staff_seen[(said["author_user"], "name")] = said["author_name"] or ""
            staff_seen[(said["author_user"], "role_title")] = said["author_role"] or ""
    return {
        "member_first_name": access.member_name.strip().split(" ")[0],
        "outcomes": [
            {
                "id": o["id"],
                "statement": redact(o["statement"]),
                "measure": redact(o["measure"]),
                "children": [children[lk["child"]] for lk in links
                             if lk["outcome"] == o["id"] and lk["child"] in children],
            }
            for o in outcomes
        ],
        "my_actions": mine,
        "professional_actions": professionals,
        "next_review": await _next_review(access.plan_id, now),
        "lead": lead,
        "conversation": conversation,
        "staff_seen": staff_seen,
        "redact": redact,
    }


STAFF_COLUMNS = ("name", "role_title", "phone", "email")


@dataclass(frozen=True)
class PageVersion:
    """What a cached family page is checked against: the family's version and staff details."""

    family: int
    staff: dict[tuple[int, str], Any]

    def shows(self, staff_seen: dict[tuple[int, str], Any]) -> bool:
        """True when every professional's detail a page showed still reads the same."""
        return all(self.staff.get(key, None) == value for key, value in staff_seen.items())


async def page_version(family_id: int, staff_ids: Iterable[int]) -> PageVersion:
    """The family's version and these professionals' details, in one round trip.

    Read before the page's data (see tracker.plans.read_cache): professionals' details are
    not the family's record (a professional's name or phone changes for every family at once),
    so a cached page keeps the details it showed and is rebuilt when any of them differ.
    """
    ids = sorted(set(staff_ids))
    joined = ("s.id IN (" + ", ".join("{}" for _ in ids) + ")") if ids else "1 = 0"
    sql = (  # constant text; every value is a bound parameter
        f"SELECT v.version, s.id, s.name, s.role_title, s.phone, s.email "  # noqa: S608
        f"FROM (SELECT {FAMILY_VERSION_SQL} AS version) v "
        f"LEFT JOIN staff_user s ON {joined}"
    )
    rows = await Family.raw(sql, family_id, *ids)
    staff = {(r["id"], column): r[column] or "" for r in rows if r["id"] is not None
             for column in STAFF_COLUMNS}
    return PageVersion(family=int(rows[0]["version"]) if rows else 0, staff=staff)


async def _family_context(access: FamilyAccess) -> tuple[int | None, str]:
    family = await Family.select(Family.name, Family.lead_professional).where(
        Family.id == access.family_id).first()
    if family is None:
        raise NotFound(f"family {access.family_id}")
    return family["lead_professional"], family["name"]


async def _tell_lead(*, access: FamilyAccess, template: str, key: str, now: datetime,
                     extra: dict[str, Any], windows: SendWindows) -> int | None:
    """Inside the change's transaction: an email to the lead professional, through the outbox.

    The email says only who did what on which family's plan (it goes to a work address);
    the words themselves stay in the tracker.
    """
    lead_id, family_name = await _family_context(access)
    if lead_id is None:
        return None
    await enqueue(
        channel="email", template=template, due_at=now, key=key, recipient_user_id=lead_id,
        windows=windows,
        context={"member_name": access.member_name.strip().split(" ")[0],
                 "family_name": family_name, "plan_id": access.plan_id, **extra},
    )
    return lead_id


async def record_family_update(
    *, access: FamilyAccess, action_id: int, choice: str, note: str, now: datetime,
    windows: SendWindows, visibility: str = LEAD,
) -> int:
    """A family member says one of their steps is done, started, or that they need help.

    Writes a progress update attributed to the member (and its audit events) and tells the
    lead professional, in one transaction; a request for help also tells the professional
    giving support on the step (that help was asked: the words stay with whoever the member
    chose). Another person's step answers NotFound.
    """
    action = await Action.select(Action.id, Action.status, Action.support_by).where(
        (Action.id == action_id) & (Action.plan == access.plan_id)
        & (Action.owner_member == access.member_id)
    ).first()
    if action is None:
        raise NotFound(f"action {action_id}")
    errors: dict[str, str] = {}
    note = (note or "").strip()
    if choice not in CHOICES:
        errors["choice"] = N_("Choose Done, Started or I need help with this.")
    if visibility not in VISIBILITIES:
        errors["visibility"] = WHO_READS_PROBLEM
    if len(note) > NOTE_MAX:
        errors["note"] = N_("Your words must be 500 characters or fewer.")
    if action["status"] not in OPEN_STATUSES:
        errors["choice"] = N_("This step is closed. Write to your plan below if something "
                              "has changed.")
    elif choice == "started" and action["status"] == "in_progress" and not note:
        errors["choice"] = N_("You have already said you have started this. Choose Done, "
                              "or ask for help.")
    if errors:
        raise FieldErrors(errors)
    status = CHOICES[choice]
    if choice == "help":
        note = f"{HELP_PREFIX}: {note}" if note else f"{HELP_PREFIX}."
    async with atomic():
        update_id = await plans.record_progress(
            action_id=action_id, status=status, note=note, actor=access.actor, now=now,
            visibility=visibility)
        lead_id = await _tell_lead(access=access, template="family_update_to_lead",
                                   key=f"family_update:{update_id}", now=now,
                                   extra={"asked_for_help": choice == "help", "choice": choice},
                                   windows=windows)
        if choice == "help" and action["support_by"] not in (None, lead_id):
            await _tell_supporter(access=access, user_id=action["support_by"],
                                  update_id=update_id, now=now, windows=windows)
    return update_id


async def _tell_supporter(*, access: FamilyAccess, user_id: int, update_id: int,
                          now: datetime, windows: SendWindows) -> None:
    """Inside the change's transaction: the professional giving support on the step hears too.

    No names and no words in the email (it may go to a school or surgery address): the
    tracker holds them behind sign-in.
    """
    await enqueue(
        channel="email", template="family_help_to_supporter", due_at=now, windows=windows,
        key=f"family_help:{update_id}:user:{user_id}", recipient_user_id=user_id,
        context={"plan_id": access.plan_id})


async def add_family_message(
    *, access: FamilyAccess, body: str, now: datetime, windows: SendWindows,
    visibility: str = LEAD,
) -> int:
    """A family member's words on their plan (how they feel, what they have noticed).

    `visibility` is the member's choice of who reads them: their lead professional (the
    default) or everyone working with the family.
    """
    body = (body or "").strip()
    errors: dict[str, str] = {}
    if not body:
        errors["message"] = N_("Write your message.")
    elif len(body) > MESSAGE_MAX:
        errors["message"] = N_("Your message must be 1000 characters or fewer.")
    if visibility not in VISIBILITIES:
        errors["visibility"] = WHO_READS_PROBLEM
    if errors:
        raise FieldErrors(errors)
    async with atomic():
        message_id = (
            await PlanMessage.insert(
                PlanMessage(family=access.family_id, plan=access.plan_id,
                            member=access.member_id, body=body, channel="family_link",
                            created_at=now, visibility=visibility)
            ).returning(PlanMessage.id)
        )[0]["id"]
        await audit.record(
            actor=access.actor, now=now, record_type="plan_message", record_id=message_id,
            action="create", changes=audit.created({"body": body, "channel": "family_link",
                                                    "visibility": visibility}),
            family_id=access.family_id, plan_id=access.plan_id,
        )
        await _tell_lead(access=access, template="family_message_to_lead",
                         key=f"family_message:{message_id}", now=now, extra={}, windows=windows)
    return message_id


async def member_family(member_id: int) -> int:
    """The family a member belongs to (NotFound when there is no such member)."""
    row = await FamilyMember.select(FamilyMember.family).where(
        FamilyMember.id == member_id).first()
    if row is None:
        raise NotFound(f"member {member_id}")
    return int(row["family"])

