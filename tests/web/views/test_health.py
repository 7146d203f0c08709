from __future__ import annotations

from src.common.embedded_redis import free_port
from tests.support.site_client import SiteClient
from tests.web.conftest import AppFactory


async def test_healthz_reports_the_database_and_the_outbox(site: SiteClient) -> None:
    response = await site.client.get("/healthz")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok"
    assert body["database"] == "sqlite"
    assert body["activity_mode"] == "off"
    assert body["outbox"] == 0
    assert body["queue"] == "not configured"  # no REDIS_URL in this test
    assert "Set-Cookie" not in response.headers  # probes do not get sessions


async def test_healthz_says_whether_redis_answers(make_site: AppFactory, redis_url: str) -> None:
    up = await make_site(activity_mode="async", redis_url=redis_url)
    assert (await (await up.client.get("/healthz")).json())["queue"] == "ok"
    down = await make_site(activity_mode="async", redis_url=f"redis://127.0.0.1:{free_port()}/0")
    response = await down.client.get("/healthz")
    assert response.status == 200  # the site works; events wait in the outbox
    assert (await response.json())["queue"] == "unreachable"
