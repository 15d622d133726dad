"""'Send me a copy by email': the family's PDF of their plan reaches a real SMTP server as a file."""

from __future__ import annotations

import random

import pytest

from tests.family.test_our_plan import assert_parses
from tests.support.factories import WINDOWS, make_world
from tracker.bootstrap import build_dispatcher
from tracker.family.our_plan import send_copy
from tracker.family.sessions import FamilyAccess
from tracker.notify.providers import providers_for
from tracker.notify.tables import Outbox
from tracker.plans.tables import FamilyMember

pytestmark = pytest.mark.usefixtures("clean_outbox")


async def test_the_copy_arrives_over_smtp_as_a_pdf_that_parses_and_is_not_kept(clock, real_settings, smtp_server):
    world = await make_world(clock.now())
    jess = world.family["members"][0]["id"]
    await FamilyMember.update({FamilyMember.email: "jess@example.test"}).where(FamilyMember.id == jess)
    access = FamilyAccess(session_id=0, member_id=jess, member_name="Jess", language="en",
                          family_id=world.family["id"], plan_id=world.plan_id)
    row_id = await send_copy(access, now=clock.now(), today=clock.now().date(), windows=WINDOWS,
                             authority_name="Anytown Council")
    dispatcher = build_dispatcher(real_settings, clock, providers_for(real_settings), rng=random.Random(1))
    try:
        report = await dispatcher.tick(materialise=False)
    finally:
        await dispatcher.providers.close()
    assert report.sent >= 1, report.lines
    [message] = smtp_server.to("jess@example.test")
    assert message["Subject"] == "A copy of your plan"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "our-plan.pdf"
    assert_parses(attachment.get_content())
    body = message.get_body(("plain",)).get_content()
    assert "the copy of your plan you asked for" in body
    row = await Outbox.select().where(Outbox.id == row_id).first()
    assert row["status"] == "sent" and '"attachment": "(sent)"' in row["context"]
