"""The language check endpoint and the published OpenAPI description."""

from tests.factories import make_user

SEED_ONE = ("I am really concerned you haven't been taking Rosie to school every day and this is "
            "having a huge impact on her education.")
SEED_TWO = "I am worried your lack of engagement means the children will continue to be at risk"


async def test_both_seed_examples_get_findings_with_offsets_and_a_reframe(client, clock):
    user = await make_user(clock.now())
    for text in (SEED_ONE, SEED_TWO):
        response = await client.post("/api/v1/language/check", json={"text": text}, headers=user.headers)
        assert response.status_code == 200
        findings = response.json()["findings"]
        assert findings, text
        for f in findings:
            assert text[f["start"]:f["end"]] == f["phrase"]
            assert f["why"] and f["suggestion"]


async def test_neutral_specific_text_gets_no_findings(client, clock):
    user = await make_user(clock.now())
    text = "The school attendance officer will phone Jess each Monday at 9:15 to agree the week."
    response = await client.post("/api/v1/language/check", json={"text": text}, headers=user.headers)
    assert response.json() == {"findings": []}


async def test_language_check_refuses_a_missing_or_huge_text(client, clock):
    user = await make_user(clock.now())
    missing = await client.post("/api/v1/language/check", json={}, headers=user.headers)
    assert missing.status_code == 400 and "text" in missing.json()["errors"]
    huge = await client.post("/api/v1/language/check", json={"text": "a " * 30_000}, headers=user.headers)
    assert huge.status_code == 400


async def test_openapi_spec_lists_every_api_route(client):
    spec = (await client.get("/schema/openapi.json")).json()
    paths = set(spec["paths"])
    for path in ["/api/v1/families", "/api/v1/families/{family_id}", "/api/v1/conferences",
                 "/api/v1/conferences/{conference_id}", "/api/v1/plans", "/api/v1/plans/{plan_id}",
                 "/api/v1/plans/{plan_id}/outcomes", "/api/v1/plans/{plan_id}/actions",
                 "/api/v1/plans/{plan_id}/progress", "/api/v1/plans/{plan_id}/audit",
                 "/api/v1/actions/{action_id}", "/api/v1/actions/{action_id}/updates", "/api/v1/me",
                 "/api/v1/language/check", "/health"]:
        assert path in paths, path
    assert "FamilyIn" in str(spec["components"]["schemas"].keys())
    docs = await client.get("/schema")
    assert docs.status_code == 200


async def test_health_is_503_when_the_database_is_unreachable(tmp_path):
    import httpx
    from piccolo.engine.sqlite import SQLiteEngine

    from tracker import app as app_module

    # A SQLite path inside a missing folder cannot be opened: the check must say so.
    broken = SQLiteEngine(path=str(tmp_path / "missing" / "nowhere.db"))
    original = app_module.engine_finder
    app_module.engine_finder = lambda: broken
    try:
        application = app_module.create_app()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application),
                                     base_url="http://t") as c:
            response = await c.get("/health")
    finally:
        app_module.engine_finder = original
    assert response.status_code == 503
