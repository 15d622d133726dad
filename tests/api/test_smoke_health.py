"""The service answers /health with the database checked."""


async def test_health_reports_ok_when_the_database_answers(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
