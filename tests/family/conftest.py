"""Shared helpers for the family pages: a world with a plan, a texted link, a signed-in phone."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import httpx
import pytest

from tests.support.factories import World, make_world
from tracker.audit import Actor
from tracker.family.links import LinkPolicy, issue_link
from tracker.settings import get_settings

CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')
_addresses = itertools.count(1)


def csrf_from(html: str) -> str:
    """The CSRF token in a page's first form."""
    match = CSRF_RE.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def token_of(url: str) -> str:
    """The token at the end of a texted link."""
    return url.rsplit("/f/", 1)[1]


async def texted_link(member_id: int, now) -> str:  # type: ignore[no-untyped-def]
    """The link a nudge would text to the member (the full URL)."""
    return await issue_link(member_id=member_id, now=now, actor=Actor.system("tests"),
                            policy=LinkPolicy.from_settings(get_settings()))


async def continue_from(client: httpx.AsyncClient, url: str) -> httpx.Response:
    """Open the texted link and press "Continue to your plan"; returns the POST's answer."""
    path = "/f/" + token_of(url)
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return await client.post(path, data={"_csrf_token": csrf_from(page.text)})


@dataclass
class Signed:
    """A world and a client signed in as its first family member (Jess)."""

    world: World
    client: httpx.AsyncClient
    member_id: int

    async def plan_page(self) -> httpx.Response:
        """The family page."""
        return await self.client.get("/family")

    async def post_form(self, path: str, fields: dict[str, str]) -> httpx.Response:
        """Post a family form with the CSRF token from the plan page."""
        page = await self.plan_page()
        return await self.client.post(path, data={"_csrf_token": csrf_from(page.text), **fields})


@pytest.fixture
async def client(app):  # type: ignore[no-untyped-def]
    """Like the suite's client, but from its own address: link rate limits are per address,
    and every test's clock starts in the same window."""
    n = next(_addresses)
    transport = httpx.ASGITransport(app=app, client=(f"10.0.{n // 250}.{n % 250 + 1}", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        yield c


@pytest.fixture
async def world(migrated, clock) -> World:  # type: ignore[no-untyped-def]
    """A family (Jess safe to contact, Ryan not) with a plan and a step for each side."""
    return await make_world(clock.now())


@pytest.fixture
async def signed_in(world: World, client: httpx.AsyncClient, clock) -> Signed:  # type: ignore[no-untyped-def]
    """Jess has opened her texted link and continued."""
    jess = world.family["members"][0]["id"]
    answer = await continue_from(client, await texted_link(jess, clock.now()))
    assert answer.status_code == 303
    return Signed(world=world, client=client, member_id=jess)
