from __future__ import annotations

from aiohttp.test_utils import TestClient

from bench.load_anchor import create_app, main

PAGE = "<html><body>front page, é, /logout</body></html>".encode()


async def test_the_anchor_serves_the_page_bytes_at_front_and_post_paths(
    aiohttp_client: object,
) -> None:
    client: TestClient = await aiohttp_client(create_app(PAGE))  # type: ignore[operator]
    for path in ("/", "/p/17"):
        response = await client.get(path)
        assert response.status == 200
        assert await response.read() == PAGE
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert (await client.get("/healthz")).status == 200
    assert (await client.get("/other")).status == 404


def test_the_anchor_without_a_page_prints_its_usage() -> None:
    assert main([]) == 2
