from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from src.common.logging import configure_logging, request_id_var
from src.common.middleware import REQUEST_ID, REQUEST_ID_HEADER, request_id_middleware


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("test-service", stream=stream)
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_record_is_one_json_line_with_service_and_request_id(log_stream: io.StringIO) -> None:
    log = logging.getLogger("wolfit.test")
    log.info("outside any request")
    token = request_id_var.set("req-1")
    try:
        log.warning("inside %s", "a request", extra={"event_id": "e1"})
    finally:
        request_id_var.reset(token)
    first, second = records(log_stream)
    assert first["message"] == "outside any request"
    assert "request_id" not in first
    assert second == {
        "time": second["time"],
        "level": "WARNING",
        "logger": "wolfit.test",
        "message": "inside a request",
        "service": "test-service",
        "request_id": "req-1",
        "event_id": "e1",
    }


async def test_request_ids_are_echoed_or_made(
    aiohttp_client: object, log_stream: io.StringIO
) -> None:
    async def handler(request: web.Request) -> web.Response:
        logging.getLogger("wolfit.view").info("handled")
        return web.Response(text=request[REQUEST_ID])

    app = web.Application(middlewares=[request_id_middleware])
    app.router.add_get("/", handler)
    client: TestClient = await aiohttp_client(app)  # type: ignore[operator]

    given = await client.get("/", headers={REQUEST_ID_HEADER: "abc-123"})
    assert given.headers[REQUEST_ID_HEADER] == "abc-123" == await given.text()

    forged = await client.get("/", headers={REQUEST_ID_HEADER: '"><script>x</script>'})
    made = forged.headers[REQUEST_ID_HEADER]
    assert len(made) == 32
    assert "<" not in made
    too_long = await client.get("/", headers={REQUEST_ID_HEADER: "a" * 129})
    assert len(too_long.headers[REQUEST_ID_HEADER]) == 32

    lines = [r for r in records(log_stream) if r["logger"] == "wolfit.view"]
    assert [line["request_id"] for line in lines][:2] == ["abc-123", made]
