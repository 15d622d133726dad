"""A professional's personal calendar feed (RFC 5545) at a secret, revocable URL.

Calendars sync to phones, lock screens and delegates' Outlook, so event titles are neutral:
no family or child names, no concern; a family reference number tells events apart and the
link opens the detail in the tracker, behind sign-in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import icalendar

from tracker import audit, tokens
from tracker.audit import Actor
from tracker.clock import LONDON
from tracker.db import atomic
from tracker.people.caller import Caller
from tracker.people.tables import StaffUser
from tracker.plans.tables import Action, Conference, ConferenceInvitee, CoreGroupPerson
from tracker.staff.tables import CalendarFeed
from tracker.vocabulary import OPEN_STATUSES

CONFERENCE_LENGTH = timedelta(hours=2)
CORE_GROUP_LENGTH = timedelta(hours=1, minutes=30)
# How far back the feed reaches: recent past for context, not the whole history.
LOOK_BACK = timedelta(days=90)
CONFERENCE_WORDS = {
    "initial_cp": "Initial conference",
    "review_cp": "Review conference",
    "cin_review": "Review meeting",
}


def family_ref(family_id: int) -> str:
    """A family's reference as shown in calendars: not a name, but tells events apart."""
    return f"F{family_id}"


async def issue_feed(*, caller: Caller, now: datetime) -> str:
    """A new secret feed URL token for the caller; any older feed stops working."""
    token, token_hash = tokens.issue(32)
    actor = Actor.user(caller.id, caller.name, channel="web")
    async with atomic():
        await revoke_all(caller.id, now=now, actor=actor)
        feed_id = (
            await CalendarFeed.insert(
                CalendarFeed(user=caller.id, token_hash=token_hash, created_at=now)
            ).returning(CalendarFeed.id)
        )[0]["id"]
        await audit.record(actor=actor, now=now, record_type="calendar_feed", record_id=feed_id,
                           action="create", changes={"user": [None, caller.id]})
    return token


async def revoke_feed(*, caller: Caller, now: datetime) -> int:
    """Stop the caller's feed URL working; returns how many feeds were live."""
    async with atomic():
        return await revoke_all(caller.id, now=now, actor=Actor.user(caller.id, caller.name, channel="web"))


async def revoke_all(user_id: int, *, now: datetime, actor: Actor) -> int:
    revoked = await CalendarFeed.update({CalendarFeed.revoked_at: now}).where(
        (CalendarFeed.user == user_id) & CalendarFeed.revoked_at.is_null()
    ).returning(CalendarFeed.id)
    for row in revoked:
        await audit.record(actor=actor, now=now, record_type="calendar_feed", record_id=row["id"],
                           action="update", changes={"revoked_at": [None, now.isoformat()]})
    return len(revoked)


async def revoke_user_feeds(user_id: int, *, now: datetime, actor: Actor) -> int:
    """Revoke a user's feeds (deactivation); call inside the caller's transaction."""
    return await revoke_all(user_id, now=now, actor=actor)


async def live_feed(user_id: int) -> dict[str, Any] | None:
    """The user's live feed row (without its secret), if any."""
    return await CalendarFeed.select(
        CalendarFeed.id, CalendarFeed.created_at, CalendarFeed.last_used_at
    ).where((CalendarFeed.user == user_id) & CalendarFeed.revoked_at.is_null()).first()


async def feed_owner(token: str, *, now: datetime) -> int | None:
    """The active user a feed token belongs to (and note the fetch), or None."""
    if not tokens.presented(token):
        return None
    row = await CalendarFeed.select(
        CalendarFeed.id, CalendarFeed.user.id.as_alias("uid"),
        CalendarFeed.user.active.as_alias("active"),
    ).where(
        tokens.matches(CalendarFeed.token_hash, token) & CalendarFeed.revoked_at.is_null()
    ).first()
    if row is None or not row["active"]:
        return None
    await CalendarFeed.update({CalendarFeed.last_used_at: now}).where(CalendarFeed.id == row["id"])
    return int(row["uid"])


async def feed_events(user_id: int, *, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Open actions the user owns, reports they owe, conferences they chair or are invited to."""
    since_day = (now - LOOK_BACK).astimezone(LONDON).date()
    actions = await Action.select(
        Action.id, Action.due_on, Action.plan.family.as_alias("family_id"),
    ).where(
        (Action.owner_user == user_id) & Action.status.is_in(sorted(OPEN_STATUSES))
        & Action.due_on.is_not_null() & (Action.due_on >= since_day)
        & (Action.plan.status == "active")
    ).order_by(Action.due_on)
    chaired = await Conference.select(
        Conference.id, Conference.kind, Conference.starts_at, Conference.family,
    ).where((Conference.chair == user_id) & (Conference.starts_at >= now - LOOK_BACK))
    invited = await ConferenceInvitee.select(
        ConferenceInvitee.report_due_on, ConferenceInvitee.report_submitted_at,
        ConferenceInvitee.conference.id.as_alias("id"),
        ConferenceInvitee.conference.kind.as_alias("kind"),
        ConferenceInvitee.conference.starts_at.as_alias("starts_at"),
        ConferenceInvitee.conference.family.as_alias("family"),
    ).where(
        (ConferenceInvitee.user == user_id)
        & (ConferenceInvitee.conference.starts_at >= now - LOOK_BACK)
    )
    conferences: dict[int, dict[str, Any]] = {}
    for row in invited:
        conferences[row["id"]] = {**row, "role": "invited"}
    for row in chaired:
        conferences[row["id"]] = {**row, "role": "chair"}
    reports = [r for r in invited if r["report_due_on"] and r["report_submitted_at"] is None]
    return {"actions": list(actions), "conferences": sorted(conferences.values(),
                                                            key=lambda r: r["starts_at"]),
            "reports": reports, "core_groups": await core_group_events(user_id, now=now)}


async def core_group_events(user_id: int, *, now: datetime) -> list[dict[str, Any]]:
    """Core group meetings the user is invited to, on current plans, from the look-back on."""
    return await CoreGroupPerson.select(
        CoreGroupPerson.meeting.id.as_alias("id"),
        CoreGroupPerson.meeting.plan.as_alias("plan"),
        CoreGroupPerson.meeting.family.as_alias("family"),
        CoreGroupPerson.meeting.starts_at.as_alias("starts_at"),
    ).where((CoreGroupPerson.user == user_id) & (CoreGroupPerson.invited == True)  # noqa: E712
            & (CoreGroupPerson.meeting.starts_at >= now - LOOK_BACK)
            & (CoreGroupPerson.meeting._.plan._.status == "active")
            ).order_by(CoreGroupPerson.meeting.starts_at)


def _all_day(day: date) -> tuple[date, date]:
    return day, day + timedelta(days=1)


def build_calendar(events: dict[str, list[dict[str, Any]]], *, now: datetime, base_url: str,
                   authority_name: str) -> bytes:
    """The feed as RFC 5545 bytes: VERSION, PRODID, and UID/DTSTAMP on every event."""
    host = urlsplit(base_url).hostname or "tracker"
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//{authority_name}//Plan tracker//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "Plan tracker")
    cal.add("x-wr-timezone", "Europe/London")
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")

    def event(uid: str, summary: str, url: str, description: str) -> icalendar.Event:
        ev = icalendar.Event()
        ev.add("uid", f"{uid}@{host}")
        ev.add("dtstamp", now)
        ev.add("summary", summary)
        ev.add("description", f"{description}\n{url}")
        ev.add("url", url)
        ev.add("class", "PRIVATE")
        return ev

    for row in events["actions"]:
        ref = family_ref(row["family_id"])
        ev = event(f"action-{row['id']}", f"Plan action due ({ref})",
                   f"{base_url}/actions#action-{row['id']}",
                   "An action you own on a family's plan is due. Open it in the plan tracker:")
        start, end = _all_day(row["due_on"])
        ev.add("dtstart", start)
        ev.add("dtend", end)
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    for row in events["reports"]:
        ref = family_ref(row["family"])
        ev = event(f"report-{row['id']}-due", f"Conference report due ({ref})",
                   f"{base_url}/actions",
                   "Your report for a conference is due today (2 working days before it).")
        start, end = _all_day(row["report_due_on"])
        ev.add("dtstart", start)
        ev.add("dtend", end)
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    for row in events["conferences"]:
        ref = family_ref(row["family"])
        words = CONFERENCE_WORDS.get(row["kind"], "Conference")
        role = "You are chairing." if row["role"] == "chair" else "You are invited."
        ev = event(f"conference-{row['id']}", f"{words} ({ref})",
                   f"{base_url}/conferences/{row['id']}", f"{role} Open it in the plan tracker:")
        start = row["starts_at"].astimezone(LONDON)
        ev.add("dtstart", start)
        ev.add("dtend", start + CONFERENCE_LENGTH)
        cal.add_component(ev)
    for row in events.get("core_groups", []):
        ev = event(f"core-group-{row['id']}", f"Core group meeting ({family_ref(row['family'])})",
                   f"{base_url}/plans/{row['plan']}#core-groups",
                   "You are invited to the core group. Open the plan in the plan tracker:")
        start = row["starts_at"].astimezone(LONDON)
        ev.add("dtstart", start)
        ev.add("dtend", start + CORE_GROUP_LENGTH)
        cal.add_component(ev)
    today = now.astimezone(LONDON).date()
    cal.add_missing_timezones(first_date=today - timedelta(days=400), last_date=today + timedelta(days=800))
    return cal.to_ical()


async def feed_for_token(token: str, *, now: datetime, base_url: str, authority_name: str) -> bytes | None:
    """The ICS bytes for a live feed token, or None (revoked, unknown, or user deactivated)."""
    user_id = await feed_owner(token, now=now)
    if user_id is None:
        return None
    if not await StaffUser.exists().where(StaffUser.id == user_id):
        return None
    events = await feed_events(user_id, now=now)
    return build_calendar(events, now=now, base_url=base_url, authority_name=authority_name)
