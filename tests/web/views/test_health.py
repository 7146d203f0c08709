from __future__ import annotations

from tests.support.site_client import SiteClient


async def test_healthz_reports_the_database_and_the_outbox(site: SiteClient) -> None:
    response = await site.client.get("/healthz")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok"
    assert body["database"] == "sqlite"
    assert body["activity_mode"] == "off"
    assert body["outbox"] == 0
    assert body["queue"] == "unreachable"  # no REDIS_URL in this test
    assert "Set-Cookie" not in response.headers  # probes do not get sessions
