"""The language check endpoint and the published OpenAPI description."""

from tests.support.factories import make_user

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


async def test_every_finding_has_a_kind_and_professional_is_the_default_audience(client, clock):
    user = await make_user(clock.now())
    text = "Mum to engage with the core group. Dad is unwilling to change."
    default = await client.post("/api/v1/language/check", json={"text": text}, headers=user.headers)
    explicit = await client.post("/api/v1/language/check", json={"text": text, "audience": "professional"},
                                 headers=user.headers)
    assert default.json() == explicit.json()
    body = default.json()
    assert "reading_age" not in body
    assert {f["kind"] for f in body["findings"]} == {"restorative"}
    # "Mum to engage ..." is no rule's phrase; the tone model reads it as a demand on Mum.
    assert [(f["construct"], f["phrase"]) for f in body["findings"]] == [
        ("tone", "Mum to engage with the core group."), ("attitude", "unwilling")]


async def test_a_sentence_no_rule_explains_is_flagged_by_the_tone_model_with_a_kind(client, clock):
    user = await make_user(clock.now())
    text = "Nan will collect Rosie on Fridays. Mum acts like the plan is a joke."
    for audience in ("professional", "family"):
        response = await client.post("/api/v1/language/check", json={"text": text, "audience": audience},
                                     headers=user.headers)
        assert response.status_code == 200
        tone = [f for f in response.json()["findings"] if f["construct"] == "tone"]
        assert len(tone) == 1, audience
        assert tone[0]["kind"] == "restorative" and tone[0]["rule_id"] == "tone_model"
        assert tone[0]["phrase"] == text[tone[0]["start"]:tone[0]["end"]] == text.split(". ", 1)[1]
        assert tone[0]["suggestion"].startswith("Consider") and tone[0]["why"]


async def test_family_audience_adds_jargon_plain_english_and_a_reading_age(client, clock):
    user = await make_user(clock.now())
    text = "Mum to engage with the core group. How we will know: Mum engages."
    response = await client.post("/api/v1/language/check", json={"text": text, "audience": "family"},
                                 headers=user.headers)
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["reading_age"], int) and 5 <= body["reading_age"] <= 20
    kinds = {(f["kind"], f["phrase"]) for f in body["findings"]}
    assert ("jargon", "engage") in kinds and ("jargon", "core group") in kinds
    assert ("jargon", "engages") in kinds
    assert ("plain_english", "Mum") in kinds
    for f in body["findings"]:
        assert text[f["start"]:f["end"]] == f["phrase"]
        assert f["kind"] in {"restorative", "jargon", "plain_english"}
        assert f["suggestion"].startswith("Consider")
    starts = [f["start"] for f in body["findings"]]
    assert starts == sorted(starts)


async def test_plain_family_text_gets_no_findings_and_a_low_reading_age(client, clock):
    user = await make_user(clock.now())
    text = "You will walk Rosie to school each morning. Sam will ring you on Mondays to see how it went."
    response = await client.post("/api/v1/language/check", json={"text": text, "audience": "family"},
                                 headers=user.headers)
    assert response.json()["findings"] == []
    assert response.json()["reading_age"] <= 9


async def test_an_unknown_audience_is_a_field_error(client, clock):
    user = await make_user(clock.now())
    response = await client.post("/api/v1/language/check", json={"text": "Hello", "audience": "chair"},
                                 headers=user.headers)
    assert response.status_code == 400
    assert "audience" in str(response.json())


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
