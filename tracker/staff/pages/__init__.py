"""The professionals' and chairs' pages, registered in one router.

Each module is one page (or a few pages about one thing); its read models are in the
`*_queries` module beside it, and `forms` reads what its forms post. Sign-in, admin and the
calendar feed have their own routes in tracker.staff.
"""

from __future__ import annotations

from litestar import Router

from tracker.staff.pages import (
    actions,
    arrange,
    booking,
    caseload,
    chair,
    conferences,
    conversation,
    core_groups,
    family_links,
    family_records,
    handover,
    plans,
    profile,
    reports,
    revise,
)

router = Router(
    path="/",
    include_in_schema=False,  # web pages, not the JSON API
    route_handlers=[
        # my actions, reports to send, a family
        actions.my_actions_page, actions.update_action_status, actions.submit_report,
        actions.family_page,
        # conferences: the page, the record, making the plan; arranging and changing one
        conferences.conference_page, conferences.record_form, conferences.save_record,
        conferences.make_plan,
        # the revised plan at a review, re-dating each carried action
        revise.revise_form, revise.revise,
        # a leaver's work handed to someone else
        handover.handover_page, handover.hand_over,
        arrange.arrange_form, arrange.arrange, arrange.change_arrangements,
        booking.move_or_cancel_form, booking.move, booking.cancel,
        # the plan, its outcomes and actions, and the live hints
        plans.plan_page, plans.add_outcome, plans.add_action, plans.language_hint,
        plans.action_hint, arrange.edit_action_form, arrange.edit_action,
        # answering the family: a reply to a member, widening their words
        conversation.reply, conversation.widen,
        # the chair
        chair.chair_dashboard, chair.review_summary,
        # family plan links, report downloads
        family_links.send_link, family_links.confirm_stop_link, family_links.stop_link,
        reports.download_report,
        # the caseload, and family records (new family, adults, children)
        caseload.caseload_page,
        family_records.new_family_form, family_records.create_family,
        family_records.details_form, family_records.save_details,
        family_records.new_member_form, family_records.member_form, family_records.add_member,
        family_records.change_member,
        family_records.new_child_form, family_records.child_form, family_records.add_child,
        family_records.change_child,
        # core group meetings: arranging one from the plan, recording it
        core_groups.arrange_form, core_groups.arrange, core_groups.record_form,
        core_groups.save_record,
        # your profile: work mobile, and email, text or both
        profile.profile_page, profile.save_profile,
    ],
)
