"""Every text the demo produces over six weeks: no child, concern or agency named; a plan link; one segment."""

from __future__ import annotations

import dataclasses
import random
import re

import pytest

from tests.support.factories import POLICY, WINDOWS
from tracker.bootstrap import build_dispatcher
from tracker.demo_voice import seed_full_demo
from tracker.notify.providers import providers_for
from tracker.notify.segments import segments
from tracker.notify.staff_texts import TEXTABLE
from tracker.notify.tables import ConsoleMessage
from tracker.notify.templates import MESSAGES_DIR
from tracker.people.tables import StaffUser
from tracker.plans.tables import Child
from tracker.settings import get_settings

pytestmark = pytest.mark.usefixtures("clean_outbox")
HELENS_MOBILE = "+447700900789"  # the demo's Helen chose email and text on her profile

CONCERN_WORDS = ["neglect", "physical", "emotional", "sexual", "abuse", "harm", "risk", "concern",
                 "worried", "protection", "safeguarding", "social worker", "police", "school", "health",
                 "nhs", "court", "children's services"]
BLAMING = ["failed to", "you must", "warning", "final reminder", "non-compliance", "you have not",
           "urgent", "consequences", "unacceptable"]


@pytest.fixture
async def demo_texts(clock):  # type: ignore[no-untyped-def]
    await seed_full_demo(policy=POLICY, windows=WINDOWS, now=clock.now())
    settings = dataclasses.replace(get_settings(), send_rate_per_second=0, sms_backend="console",
                                   email_backend="console", dispatch_batch_size=5000)
    dispatcher = build_dispatcher(settings, clock, providers_for(settings), rng=random.Random(3))
    for _ in range(45):
        clock.advance(days=1)
        await dispatcher.tick()
    return await ConsoleMessage.select().order_by(ConsoleMessage.id)


async def test_texts_never_name_a_child_a_concern_or_an_agency_and_carry_the_plan_link(demo_texts):
    texts = [m for m in demo_texts if m["channel"] == "sms"]
    children = {r["name"].lower() for r in await Child.select(Child.name)}
    agencies = {r["agency"].lower() for r in await StaffUser.select(StaffUser.agency) if r["agency"]}
    assert "rosie" in children and "westfield primary school" in agencies
    forbidden = children | agencies | set(CONCERN_WORDS)
    for text in texts:
        words = text["body"].lower()
        named = [w for w in forbidden if re.search(rf"\b{re.escape(w)}\b", words)]
        assert not named, f"{text['body']!r} names {named}"
        if text["to_address"] == HELENS_MOBILE:
            # Helen chose texts: hers carry the sign-in address, never a family's plan link.
            assert text["body"].endswith("http://testserver.local/actions"), text["body"]
        else:
            assert re.search(r"http://testserver\.local/f/[A-Za-z0-9_-]{20,}$", text["body"]), text["body"]
        assert segments(text["body"]) == 1, text["body"]
    assert any(t["to_address"] == HELENS_MOBILE for t in texts)  # the demo shows staff texts too
    templates = {t["body"].split(",")[0] for t in texts}
    assert templates  # "Hi Jess" at least
    kinds = {("due on" in t["body"]) or ("due today" in t["body"]) for t in texts}
    assert True in kinds
    assert any("review meeting" in t["body"] for t in texts)
    assert any("going? Want help?" in t["body"] for t in texts)


async def test_every_message_the_demo_sends_invites_rather_than_blames(demo_texts):
    assert len(demo_texts) > 10
    for message in demo_texts:
        lowered = (message["subject"] + " " + message["body"]).lower()
        assert not [w for w in BLAMING if w in lowered], message["body"]


def test_every_sms_template_has_an_email_version_for_the_fallback():
    for sms in MESSAGES_DIR.glob("*.sms.txt"):
        name = sms.name.removesuffix(".sms.txt")
        for part in (".email.subject.txt", ".email.txt", ".email.html"):
            assert (MESSAGES_DIR / f"{name}{part}").is_file(), f"{name}{part} is missing"
        if name in TEXTABLE:
            # A professional's text carries the sign-in address, never a family's plan link.
            assert "{{ base_url }}/" in sms.read_text() and "{{ link }}" not in sms.read_text()
        else:
            assert "{{ link }}" in sms.read_text(), f"{sms.name} has no plan link"


