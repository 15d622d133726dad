"""A plan that is theirs: done steps kept across revisions, the children's words and the family's
strengths when the chair shares them, what kind of plan it is, and "Our plan" (page, print, PDF)."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from tests.support.factories import POLICY, SYSTEM, at
from tracker.audit import AuditEvent
from tracker.family.our_plan_pdf import plan_pdf
from tracker.notify.tables import Outbox
from tracker.plans import service
from tracker.plans.schemas import ConferenceIn, ConferencePatch, PlanIn
from tracker.plans.tables import Action, FamilyMember

CHILDREN_SAID = "Rosie said she likes school when she gets there on time."
STRENGTHS = "You are good at planning once you have a routine. Linda helps with school runs."


def visible_text(page: str) -> str:
    """What a reader sees: the main content without tags, scripts or the form's token."""
    main = page.split('<main', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", main, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main.split(">", 1)[1]))).strip()


async def revise(world, clock) -> int:  # type: ignore[no-untyped-def]
    review = await service.create_conference(
        policy=POLICY, actor=SYSTEM, now=clock.now(),
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp",
                          starts_at=at(clock.now().date() - timedelta(days=1)), chair_id=world.chair.id,
                          decision="cp_plan", categories=["neglect"],
                          next_review_on=clock.now().date() + timedelta(days=150)))
    return await service.create_plan(data=PlanIn(conference_id=review, kind="child_protection"),
                                     actor=SYSTEM, now=clock.now())


async def test_what_you_have_done_stays_on_the_page_after_the_plan_is_revised(signed_in, clock):
    world = signed_in.world
    done = await signed_in.post_form(f"/family/actions/{world.member_action_id}", {"choice": "done"})
    assert done.status_code == 303
    before = (await signed_in.plan_page()).text
    assert "What you have done" not in before  # done on this plan: shown under "Your steps"
    await revise(world, clock)
    after = (await signed_in.plan_page()).text
    assert "What you have done" in after
    section = after.split('id="done-before"', 1)[1].split("</section>", 1)[0]
    assert "Walk Rosie to school so she is in class by 8:50 each day." in section
    assert "Done on Tuesday 24 November 2026" in section  # when it was done, not a deadline
    # The step itself was not carried (it is done), so it is not also an open step.
    assert await Action.count().where(Action.carried_from == world.member_action_id) == 0


async def test_the_childrens_words_and_strengths_show_only_when_the_chair_marks_them_to_share(
        signed_in, client, clock):
    world = signed_in.world
    await service.update_conference(
        conference_id=world.conference_id, actor=SYSTEM, now=clock.now(), policy=POLICY,
        patch=ConferencePatch(children_views=CHILDREN_SAID, family_reflections=STRENGTHS))
    text = (await signed_in.plan_page()).text
    assert "Rosie said she likes school" not in text and "good at planning" not in text
    shared = await client.patch(f"/api/v1/conferences/{world.conference_id}",
                                json={"share_children_views": True}, headers=world.chair.headers)
    assert shared.status_code == 200, shared.text
    assert shared.json()["share_children_views"] is True and shared.json()["share_family_reflections"] is False
    text = (await signed_in.plan_page()).text
    assert "What your children told us" in text and "Rosie said she likes school" in text
    assert "good at planning" not in text
    await client.patch(f"/api/v1/conferences/{world.conference_id}",
                       json={"share_family_reflections": True}, headers=world.chair.headers)
    assert "good at planning" in (await signed_in.plan_page()).text
    changes = [e["changes"] for e in await AuditEvent.select().where(
        (AuditEvent.record_type == "conference") & (AuditEvent.record_id == world.conference_id))]
    assert any("share_children_views" in c for c in changes)
    assert any("share_family_reflections" in c for c in changes)


async def test_the_page_says_what_kind_of_plan_it_is_and_what_happens_next(signed_in):
    text = (await signed_in.plan_page()).text
    assert "This is a child protection plan." in text
    assert ("What happens next: everyone meets again to look at the plan together on or before "
            "Saturday 23 January 2027.") in text


async def test_our_plan_is_one_page_in_plain_english_with_a_print_stylesheet(signed_in, client, clock):
    world = signed_in.world
    await service.update_conference(
        conference_id=world.conference_id, actor=SYSTEM, now=clock.now(), policy=POLICY,
        patch=ConferencePatch(children_views=CHILDREN_SAID, share_children_views=True))
    page = await signed_in.client.get("/family/our-plan")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    text = visible_text(page.text)
    for words in ("Our plan", "This is a child protection plan.", "What better looks like for your children",
                  "Your steps", "What the professionals will do", "What your children told us",
                  "If a child is in danger right now, call 999.", "Send me a copy by email"):
        assert words in text, words
    assert "Ryan" not in text
    jargon = [f for f in POLICY.check_wording(text, "family")["findings"] if f["kind"] == "jargon"]
    assert jargon == [], jargon
    assert re.search(r'href="/assets/[0-9a-f]+/family\.css"', page.text)
    css = (await client.get("/static/family.css")).text
    assert "@media print" in css and ".family-no-print" in css


async def test_our_plan_by_email_needs_an_address_and_goes_through_the_outbox_as_a_pdf(signed_in):
    refused = await signed_in.post_form("/family/our-plan/email", {})
    assert refused.status_code == 400
    assert "We do not have an email address for you" in refused.text
    await FamilyMember.update({FamilyMember.email: "jess@example.test"}).where(
        FamilyMember.id == signed_in.member_id)
    sent = await signed_in.post_form("/family/our-plan/email", {})
    assert sent.status_code == 303 and sent.headers["location"] == "/family/our-plan?sent=1"
    [row] = await Outbox.select().where((Outbox.template == "our_plan_copy")
                                        & (Outbox.recipient_member == signed_in.member_id))
    assert row["channel"] == "email" and '"filename": "our-plan.pdf"' in row["context"]
    again = await signed_in.post_form("/family/our-plan/email", {})  # a double press: one email
    assert again.status_code == 303
    assert await Outbox.count().where((Outbox.template == "our_plan_copy")
                                      & (Outbox.recipient_member == signed_in.member_id)) == 1


def test_the_pdf_is_a_well_formed_pdf_with_every_letter():
    data = {"member_first_name": "Jess", "plan_kind_title": "This is a child in need plan.",
            "plan_kind_meaning": "It is checked at a review meeting.", "outcomes": [
                {"children": ["Rosie"], "statement": "Rosie goes to school every day – happily.",
                 "measure": "95% attendance."}],
            "my_actions": [{"description": "Walk to school", "how_often": "each day",
                            "review_on": None, "due_on": None, "success_measure": "Register"}],
            "professional_actions": [], "children_words": "Zoë said “I like it”.", "family_strengths": "",
            "next_review": {"on": None}, "lead": {"name": "Sam", "phone": "01632 960000"}}
    pdf = plan_pdf(data, authority_name="Anytown", made_on=date(2026, 11, 24))
    assert_parses(pdf)


def assert_parses(pdf: bytes) -> None:
    """A PDF's frame: header, the cross-reference table where startxref says, every object in it."""
    assert pdf.startswith(b"%PDF-1.") and pdf.rstrip().endswith(b"%%EOF")
    startxref = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    assert pdf[startxref:startxref + 4] == b"xref"
    count = int(re.match(rb"xref\s+0\s+(\d+)", pdf[startxref:]).group(1))  # type: ignore[union-attr]
    offsets = re.findall(rb"(\d{10}) \d{5} n", pdf[startxref:])
    assert len(offsets) == count - 1
    for n, offset in enumerate(offsets, start=1):
        assert re.match(rb"%d 0 obj" % n, pdf[int(offset):]), n
    assert b"/Type /Page" in pdf
