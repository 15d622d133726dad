"""Professionals' pages: my actions (update with a note, htmx or plain form), reports, families."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, MultipartBody, URLEncodedBody
from litestar.response import Redirect, Response, Template

from tracker.clock import local_date
from tracker.errors import FieldErrors, NotFound
from tracker.people.caller import Caller
from tracker.plans import service
from tracker.plans.access import require_action_update, require_family
from tracker.plans.common import PlanPolicy
from tracker.plans.schemas import ACTION_STATUSES
from tracker.plans.tables import ProgressUpdate
from tracker.staff import report_files
from tracker.staff.pages import actions_queries as queries
from tracker.staff.pages import fields, forms
from tracker.staff.pages.common import is_htmx, render, see_other, web_actor
from tracker.staff.pages.kept import kept_page, visible_families_version
from tracker.staff.saved_checks import saved_checks
from tracker.validate import parse_id

MAX_PAGE = 1_000
"""The highest page of action cards /actions accepts (20,000 actions)."""

UPLOAD_BODY_LIMIT = 12 * 1024 * 1024
"""A little over the 10 MB file limit, so a too-big file gets a kind message, not a 413."""


def read_page(raw: str) -> tuple[int, dict[str, str]]:
    """The page of action cards asked for, or 1 and a field error."""
    number = parse_id(raw) if raw else 1
    if number is None or number > MAX_PAGE:
        return 1, {"page": f"The page must be a whole number from 1 to {MAX_PAGE:,}."}
    return number, {}


async def _actions_context(staff: Caller, now: datetime, state: State,
                           page: int = 1) -> dict[str, Any]:
    today = local_date(now)
    invitations = await queries.my_invitations(staff, now)
    for inv in invitations:
        inv["file_name"] = report_files.original_name(state["settings"].var_dir,
                                                      inv["report_file"])
    return {
        "today": today,
        "mine": await queries.my_actions(staff, today, page=page),
        "news": await queries.family_news(staff, now),
        "invitations": invitations,
        "statuses": ACTION_STATUSES,
        "errors": {},
        "failed_action": None,
        "failed_report": None,
        "form": {},
    }


async def _note_checks(saved: str | None, staff: Caller, policy: PlanPolicy) -> list[dict[str, Any]]:
    """The wording checks for a note just saved (?saved=note-12), for its author only."""
    kind, _, ident = (saved or "").partition("-")
    if kind != "note" or not ident.isdigit():
        return []
    row = await ProgressUpdate.select(ProgressUpdate.note, ProgressUpdate.shared_with_family).where(
        (ProgressUpdate.id == int(ident)) & (ProgressUpdate.author_user == staff.id)).first()
    return saved_checks([("Your note", row["note"], bool(row["shared_with_family"]))],
                        policy) if row else []


ACTIONS_CACHE = "actions_pages"


@get("/actions")
async def my_actions_page(request: Request[Any, Any, Any], staff: NamedDependency[Caller],
                          now: NamedDependency[datetime], state: State,
                          policy: NamedDependency[PlanPolicy], saved: FromQuery[str | None] = None,
                          page: FromQuery[str] = "1") -> Template | Response[bytes]:
    """My actions, soonest due first a page at a time: overdue, then due soon, by family;
    family news; reports to send; just after a note is saved (?saved=note-12), what the
    wording checks found in it.

    A professional's pages are kept and served again while none of the families they may see
    has changed (tracker.staff.pages.kept); an admin's are not (they may see every family)."""
    number, errors = read_page(page)

    async def build() -> tuple[Template, datetime | None]:
        context = await _actions_context(staff, now, state, number)
        context["errors"] = errors
        if checks := await _note_checks(saved, staff, policy):
            context["checks"] = checks
        return render("actions.html", status=400 if errors else 200, **context), _news_ends(
            context["news"])

    if staff.is_admin or errors or saved:
        return (await build())[0]
    version = await visible_families_version(staff)
    return await kept_page(request, cache_name=ACTIONS_CACHE, version=version, now=now,
                           key=(staff, number, local_date(now)), build=build)


def _news_ends(news: list[dict[str, Any]]) -> datetime | None:
    """When the oldest piece of family news shown grows too old to show (the clock alone
    changes the page then)."""
    shown = [item["at"] for family in news for item in family["items"]]
    return min(shown) + timedelta(days=queries.NEWS_DAYS) if shown else None


@post("/actions/{action_id:int}/update")
async def update_action_status(
    request: Request[Any, Any, Any], action_id: FromPath[int],
    data: URLEncodedBody[dict[str, Any]], staff: NamedDependency[Caller],
    now: NamedDependency[datetime], state: State, policy: NamedDependency[PlanPolicy],
) -> Template | Redirect:
    """Change an action's status with a note in one step (htmx swaps just its card)."""
    await require_action_update(staff, action_id)
    form = forms.progress(data, action_id=action_id)
    errors = form.errors
    update_id = None
    if form.value is not None:
        try:
            update_id = await service.record_progress(action_id=action_id, status=form.value.status,
                                          note=form.value.note, actor=web_actor(staff), now=now,
                                          shared_with_family=form.value.share_with_family)
        except FieldErrors as exc:
            errors = form.service_errors(exc)
    today = local_date(now)
    # The card's page of /actions, so the answer shows the card where it was.
    page = read_page(str(data.get("page") or ""))[0]
    # A note shared with the family is checked for the family's reading too.
    checks = [] if errors else saved_checks(
        [("Your note", form.echo["note"], bool(form.echo["share_with_family"]))], policy)
    if is_htmx(request):
        # 200 even with errors: htmx only swaps 2xx answers, and the card shows the error.
        return render("partials/action_card.html", action=await queries.action_card(
            action_id, today), today=today, statuses=ACTION_STATUSES, errors=errors,
            form=form.echo if errors else {}, saved=not errors, card_checks=checks,
            card_page=page)
    if not errors and not checks:
        where = f"/actions?page={page}" if page > 1 else "/actions"
        return see_other(f"{where}#action-{action_id}")
    if not errors:
        # Saved; the note's wording is worth a second look: post/redirect/get to the page that
        # shows it, so refreshing never adds the note twice.
        where = f"/actions?page={page}&saved=note-{update_id}" if page > 1 else f"/actions?saved=note-{update_id}"
        return see_other(f"{where}#action-{action_id}")
    context = await _actions_context(staff, now, state, page)
    context.update(errors=errors, failed_action=action_id, form=form.echo)
    return render("actions.html", status=400, **context)


@post("/conferences/{conference_id:int}/report",
      request_max_body_size=UPLOAD_BODY_LIMIT)
async def submit_report(
    conference_id: FromPath[int], data: MultipartBody[dict[str, Any]],
    staff: NamedDependency[Caller], now: NamedDependency[datetime], state: State,
) -> Template | Redirect:
    """Say my report for a conference is in, optionally attaching it (checked, stored in var/)."""
    invitation = await queries.invitation(conference_id, staff.id)
    if invitation is None:
        raise NotFound(f"invitation to conference {conference_id}")
    await require_family(staff, invitation["family_id"])
    upload = fields.uploaded_file(data, "report")
    stored = None
    errors: dict[str, str] = {}
    if upload is not None:
        content = await upload.read()
        try:
            stored = report_files.store(
                var_dir=state["settings"].var_dir, filename=upload.filename, content=content,
                conference_id=conference_id, user_id=staff.id, now=now)
        except report_files.ReportFileError as exc:
            errors[f"report-{conference_id}"] = str(exc)
    if not errors:
        try:
            superseded = await service.mark_report_submitted(
                conference_id=conference_id, user_id=staff.id, actor=web_actor(staff), now=now,
                file_path=stored.relative_path if stored else None)
        except Exception:
            if stored:
                report_files.discard(state["settings"].var_dir, stored)
            raise
        # The replaced file is nobody's report any more: keeping it would keep case data
        # that no page can reach or delete.
        report_files.discard_path(state["settings"].var_dir, superseded)
        return see_other(f"/actions#report-{conference_id}")
    context = await _actions_context(staff, now, state)
    context.update(errors=errors, failed_report=conference_id)
    return render("actions.html", status=400, **context)


@get("/families/{family_id:int}")
async def family_page(family_id: FromPath[int], staff: NamedDependency[Caller],
                      now: NamedDependency[datetime]) -> Template:
    """A family: adults, children, conferences and plans, with links to each."""
    await require_family(staff, family_id)
    return render("family.html", **await queries.family_page(family_id, staff), now=now)

