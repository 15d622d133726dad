"""Signed Twilio webhooks with values no row can have: answered, never a 500, nothing written."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.notify.test_webhooks import BASE, signed
from tests.support.bad_input import changed, snapshot
from tests.support.factories import make_world

pytestmark = pytest.mark.usefixtures("clean_outbox")


@pytest.fixture
async def hooks(migrated, clock, real_settings):  # type: ignore[no-untyped-def]
    from tracker.app import create_app

    app = create_app(real_settings, clock=clock, scheduler=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


@pytest.mark.parametrize("outbox", ["²", "١٢", str(2**31), str(2**63), "99999999999999999999999", "-1",
                                    "1e3", ""])
async def test_a_status_callback_for_an_outbox_id_no_row_can_have_changes_nothing(
        outbox: str, hooks: httpx.AsyncClient, clock) -> None:
    world = await make_world(clock.now())
    path = f"/webhooks/twilio/status?outbox={quote(outbox)}"  # Twilio signs the URL as called
    params = {"MessageSid": "SM" + "f" * 32, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
    before = await snapshot(world, clock.now())
    answer = await hooks.post(path, data=params, headers=signed(path, params))
    assert answer.status_code == 200, answer.text
    assert changed(before, await snapshot(world, clock.now())) == []


async def test_an_inbound_text_with_control_characters_is_stored_without_them(
        hooks: httpx.AsyncClient, clock) -> None:
    from tracker.plans.tables import FamilyMember, PlanMessage

    world = await make_world(clock.now())
    jess = world.family["members"][0]["id"]
    number = "+447700900777"
    await FamilyMember.update({FamilyMember.mobile: number}).where(FamilyMember.id == jess)
    params = {"From": number, "Body": "Thank\x00 you\x07, see you Monday\nJess",
              "MessageSid": "SM" + "e" * 32, "AccountSid": "AC" + "0" * 32}
    path = "/webhooks/twilio/inbound"
    answer = await hooks.post(path, data=params, headers=signed(path, params))
    assert answer.status_code == 200, answer.text
    [saved] = await PlanMessage.select().where(PlanMessage.member == jess)
    assert saved["body"] == "Thank you, see you Monday\nJess"
