"""Schemathesis against the running app: every /api/v1 operation (and /health), every built-in
check, positive and negative examples — no server errors, no answer the OpenAPI document does
not describe.

The app runs as `tracker serve` in its own process on a loopback port, on this run's database
(SQLite file or PostgreSQL), with the clock fixed at the suite's START. Requests carry a lead
professional's API token. Half of the generated record ids (in schema-valid examples) are swapped
for ids of that lead's family, so the checks see real answers and not only 404s.

Run alone: `.venv/bin/python -m pytest -m schemathesis` (add `TEST_DB=postgres` for PostgreSQL).
`SCHEMATHESIS_EXAMPLES` sets examples per operation (default 20); `SCHEMATHESIS_SEED` a seed
(default: derandomised, so a normal run is repeatable).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode

from tests.conftest import START
from tests.support.factories import make_core_group, make_world

pytestmark = pytest.mark.schemathesis

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "20"))
SEED = os.environ.get("SCHEMATHESIS_SEED")


@dataclass
class ServedApi:
    """The app on loopback, a token for it, and ids of records that token may see and change."""

    base_url: str
    token: str
    ids: dict[str, int]
    id_lists: dict[str, list[int]]
    log: Path
    counts: dict[str, int] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
async def served_api(migrated: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApi]:
    world = await make_world(START)
    member = world.family["members"][0]["id"]
    ids = {"family_id": world.family["id"], "conference_id": world.conference_id,
           "plan_id": world.plan_id, "action_id": world.action_id, "member_id": member,
           "outcome_id": world.outcome_id, "owner_member_id": member,
           "lead_professional_id": world.lead.id, "chair_id": world.chair.id,
           "owner_user_id": world.invitee.id, "support_by_user_id": world.invitee.id,
           "meeting_id": await make_core_group(world, START)}
    id_lists = {"invitee_ids": [world.invitee.id], "attended_member_ids": [member],
                "child_ids": [world.family["children"][0]["id"]]}
    port = _free_port()
    log = tmp_path_factory.mktemp("schemathesis") / "server.log"
    tracker = str(Path(sys.executable).parent / "tracker")
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: ASYNC220 - started once; it is a separate server
            [tracker, "--now", START.isoformat(), "serve", "--no-scheduler",
             "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ))
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{base_url}/health", timeout=2).status_code == 200:  # noqa: ASYNC210
                break
        except requests.ConnectionError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError(f"tracker serve did not start:\n{log.read_text()}")
        time.sleep(0.1)  # noqa: ASYNC251 - waiting for another process to listen
    served = ServedApi(base_url=base_url, token=world.lead.token, ids=ids, id_lists=id_lists,
                       log=log)
    yield served
    server.terminate()
    server.wait(timeout=10)
    print(f"\nschemathesis ({os.environ.get('TEST_DB', 'sqlite')}): "  # noqa: T201 - the run's figures
          f"{sum(served.counts.values())} examples, by status {dict(sorted(served.counts.items()))}")


def _published_document() -> dict[str, Any]:
    """The OpenAPI document the app publishes (built here so pytest can list the operations;
    the test checks the running server publishes the same)."""
    from tracker.app import create_app
    from tracker.settings import get_settings

    return create_app(get_settings(), scheduler=False).openapi_schema.to_schema()


DOCUMENT = _published_document()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=SchemathesisConfig.from_dict({
    **({"seed": int(SEED)} if SEED else {}),
    "generation": {"mode": "all", "max-examples": EXAMPLES, "database": "none"},
    "checks": {
        # The API checks more than a schema can say (a lead professional must be an active user,
        # a due date in range, an id must name a record of the right family): a schema-valid
        # body may still get a field-level 400. Every other expectation stays as built.
        "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404"]},
    },
}))


def test_the_running_server_publishes_this_document(served_api: ServedApi) -> None:
    published = requests.get(f"{served_api.base_url}/schema/openapi.json", timeout=30).json()
    assert published == DOCUMENT


def _known_ids(values: Any, served_api: ServedApi) -> None:
    """Swap about half the generated ids for ids of the lead's own records (in place)."""
    if not isinstance(values, dict):
        return
    for name, value in list(values.items()):
        if name in served_api.ids and isinstance(value, int) and value % 2 == 0:
            values[name] = served_api.ids[name]
        elif name in served_api.id_lists and isinstance(value, list) and len(value) % 2 == 1:
            values[name] = served_api.id_lists[name]
        elif isinstance(value, list):
            for item in value:
                _known_ids(item, served_api)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=SEED is None, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_schema(case: Any, served_api: ServedApi) -> None:
    if case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE:
        _known_ids(case.path_parameters, served_api)
        _known_ids(case.query, served_api)
        _known_ids(case.body, served_api)
    # A case generated without (or with a broken) Authorization header is sent as generated.
    negative_headers = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
    token = None if negative_headers else {"Authorization": f"Bearer {served_api.token}"}
    response = case.call_and_validate(base_url=served_api.base_url, headers=token)
    key = f"{response.status_code}"
    served_api.counts[key] = served_api.counts.get(key, 0) + 1
