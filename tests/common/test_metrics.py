from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.test_utils import TestClient

from src.common.metrics import HTTP_METRICS, HttpMetrics

ClientMaker = Callable[[web.Application], Awaitable[TestClient]]


def make_app() -> web.Application:
    metrics = HttpMetrics()
    app = web.Application(middlewares=[metrics.middleware])
    app[HTTP_METRICS] = metrics

    async def item(request: web.Request) -> web.Response:
        return web.json_response({"id": request.match_info["id"]})

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("a bug")

    async def teapot(request: web.Request) -> web.Response:
        raise web.HTTPConflict()

    app.router.add_get("/items/{id}", item, name="item")
    app.router.add_get("/broken", broken, name="broken")
    app.router.add_get("/conflict", teapot, name="conflict")
    app.router.add_get("/metrics", metrics.handler, name="metrics")
    return app


async def scrape(client: TestClient) -> str:
    response = await client.get("/metrics")
    assert response.status == 200
    return await response.text()


async def test_requests_are_counted_by_route_pattern_and_status(
    aiohttp_client: ClientMaker,
) -> None:
    client = await aiohttp_client(make_app())
    for item in ("1", "2", "3"):
        await client.get(f"/items/{item}")
    await client.get("/nowhere/42")
    await client.get("/broken")
    await client.get("/conflict")
    text = await scrape(client)
    assert 'http_requests_total{method="GET",route="/items/{id}",status="200"} 3.0' in text
    assert 'http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert 'http_requests_total{method="GET",route="/broken",status="500"} 1.0' in text
    assert 'http_requests_total{method="GET",route="/conflict",status="409"} 1.0' in text
    assert 'http_request_duration_seconds_count{method="GET",route="/items/{id}"} 3.0' in text
    assert 'http_requests_in_progress{method="GET",route="/items/{id}"} 0.0' in text
    assert "/nowhere/42" not in text
    assert "process_cpu_seconds_total" in text


async def test_each_app_has_its_own_registry(aiohttp_client: ClientMaker) -> None:
    first = await aiohttp_client(make_app())
    second = await aiohttp_client(make_app())
    await first.get("/items/1")
    assert 'route="/items/{id}",status="200"} 1.0' in await scrape(first)
    assert 'route="/items/{id}"' not in await scrape(second)


async def test_openmetrics_is_served_when_asked_for(aiohttp_client: ClientMaker) -> None:
    client = await aiohttp_client(make_app())
    response = await client.get(
        "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert response.headers["Content-Type"].startswith("application/openmetrics-text")
    assert (await response.text()).endswith("# EOF\n")
