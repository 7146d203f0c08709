from __future__ import annotations

from src.common.embedded_redis import free_port
from tests.support.site_client import SiteClient
from tests.web.conftest import AppFactory


async def _metrics(site: SiteClient) -> str:
    response = await site.client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    return await response.text()


async def test_requests_are_counted_by_route_pattern(site: SiteClient) -> None:
    await site.page("/p/12345", status=404)
    await site.page("/")
    text = await _metrics(site)
    assert 'http_requests_total{method="GET",route="/p/{id}",status="404"} 1.0' in text
    assert 'http_requests_total{method="GET",route="/",status="200"} 1.0' in text
    assert "wolfit_web_outbox_events 0.0" in text


async def test_events_kept_in_the_outbox_are_counted_and_the_backlog_shown(
    make_site: AppFactory,
) -> None:
    site = await make_site(activity_mode="async", redis_url=f"redis://127.0.0.1:{free_port()}/0")
    await site.register("alice")
    post_id = await site.submit()
    await site.vote(post_id, "up")
    text = await _metrics(site)
    for event_type in ("user.register", "post.create", "post.vote"):
        assert f'wolfit_web_events_total{{outcome="kept",type="{event_type}"}} 1.0' in text
    assert "wolfit_web_outbox_events 3.0" in text
