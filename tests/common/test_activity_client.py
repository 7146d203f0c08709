from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from src.activity import create_app
from src.activity.store import ActivityStore
from src.common.activity_client import (
    ActivityClient,
    ActivityRejected,
    ActivityUnavailable,
    parse_retry_after,
)
from src.common.embedded_redis import free_port
from src.common.settings import Settings
from tests.conftest import TEST_TOKEN
from tests.support.activity import event_body, make_store, store_outage


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, None), ("", None), ("7", 7.0), ("0.5", 0.5), ("-3", 0.0), ("soon", None)],
)
def test_retry_after_in_seconds(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_retry_after_as_an_http_date() -> None:
    later = datetime.now(UTC) + timedelta(seconds=120)
    seconds = parse_retry_after(format_datetime(later, usegmt=True))
    assert seconds is not None
    assert 100 < seconds <= 120
    past = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    assert parse_retry_after(past) == 0.0


# -- against the real activity service --------------------------------------------------


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


@pytest.fixture
def sqlite_store(tmp_path: Path) -> ActivityStore:
    return make_store("sqlite", tmp_path)


@pytest.fixture
def start_service(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
    settings: Settings,
    sqlite_store: ActivityStore,
) -> Callable[..., Awaitable[str]]:
    """Run the activity service (changed `settings`) and answer its base URL."""

    async def start(**changes: Any) -> str:
        app = create_app(settings.model_copy(update=changes), store=sqlite_store)
        server = await aiohttp_server(app)
        return str(server.make_url("")).rstrip("/")

    return start


@pytest.fixture
async def client(
    session: aiohttp.ClientSession, start_service: Callable[..., Awaitable[str]]
) -> ActivityClient:
    return ActivityClient(session, await start_service(), TEST_TOKEN)


async def test_post_event_stores_once_then_reports_the_duplicate(client: ActivityClient) -> None:
    event = event_body()
    first = await client.post_event(event)
    assert first.created
    assert first.event["id"] == event["id"]
    again = await client.post_event(event)
    assert not again.created
    assert again.event == first.event


async def test_a_conflict_or_an_invalid_event_is_rejected(client: ActivityClient) -> None:
    event = event_body()
    await client.post_event(event)
    with pytest.raises(ActivityRejected) as conflict:
        await client.post_event({**event, "details": "other"})
    assert conflict.value.status == 409
    assert conflict.value.body["stored"]["details"] == event["details"]
    with pytest.raises(ActivityRejected) as invalid:
        await client.post_event(event_body(type="Bad Type"))
    assert invalid.value.status == 400
    assert "type" in invalid.value.body["fields"]
    assert "invalid event" in str(invalid.value)


async def test_a_wrong_token_is_rejected(
    session: aiohttp.ClientSession, start_service: Callable[..., Awaitable[str]]
) -> None:
    wrong = ActivityClient(session, await start_service(), "not-the-token-0123456789")
    with pytest.raises(ActivityRejected) as caught:
        await wrong.post_event(event_body())
    assert caught.value.status == 401


async def test_list_get_and_stats(client: ActivityClient) -> None:
    alice = [event_body(username="alice", details=f"alice {n}") for n in range(3)]
    for event in [*alice, event_body(username="bob")]:
        await client.post_event(event)
    page = await client.list_activities(username="alice", limit=2)
    assert len(page["items"]) == 2
    rest = await client.list_activities(username="alice", limit=2, cursor=page["next_cursor"])
    assert rest["next_cursor"] is None
    seen = {item["id"] for item in page["items"] + rest["items"]}
    assert seen == {event["id"] for event in alice}
    assert (await client.get_activity(alice[0]["id"]) or {})["details"] == "alice 0"
    assert await client.get_activity(str(uuid.uuid4())) is None
    for not_an_id in ("../stats", "..", "a/b", "?limit=1", ""):
        assert await client.get_activity(not_an_id) is None
    assert await client.get_activity(alice[1]["id"].upper()) is not None
    stats = await client.stats(minutes=5)
    assert stats["minutes"] == 5
    assert stats["stored_total"] == 4


async def test_a_bad_filter_is_rejected(client: ActivityClient) -> None:
    with pytest.raises(ActivityRejected) as caught:
        await client.list_activities(limit=0)
    assert caught.value.status == 400


async def test_chaos_failures_are_unavailable_with_retry_after(client: ActivityClient) -> None:
    assert await client.set_chaos(fail_rate=1) == {"sleep_time": 0.0, "fail_rate": 1.0}
    with pytest.raises(ActivityUnavailable) as caught:
        await client.post_event(event_body())
    assert caught.value.status == 503
    assert caught.value.retry_after == 1.0
    assert await client.set_chaos(fail_rate=0, sleep_time=0) == {"sleep_time": 0, "fail_rate": 0}
    with pytest.raises(ActivityRejected):
        await client.set_chaos(fail_rate=3)


async def test_health_reports_the_store_and_its_outage(
    client: ActivityClient, sqlite_store: ActivityStore
) -> None:
    health = await client.health()
    assert health.ok
    assert health.detail["store"] == "sqlite"
    assert health.latency >= 0
    with store_outage("sqlite", sqlite_store):
        down = await client.health()
        with pytest.raises(ActivityUnavailable) as caught:
            await client.post_event(event_body())
    assert not down.ok
    assert down.detail["status"] == "unavailable"
    assert down.error is not None
    assert caught.value.status == 503
    assert caught.value.retry_after == 2.0
    assert (await client.health()).ok


async def test_a_slow_service_is_unavailable_after_the_timeout(
    session: aiohttp.ClientSession, start_service: Callable[..., Awaitable[str]]
) -> None:
    impatient = ActivityClient(session, await start_service(sleep_time=1), TEST_TOKEN, timeout=0.2)
    with pytest.raises(ActivityUnavailable, match="no answer in time") as caught:
        await impatient.post_event(event_body())
    assert caught.value.status is None


async def test_a_refused_connection_is_unavailable(session: aiohttp.ClientSession) -> None:
    nobody = ActivityClient(session, f"http://127.0.0.1:{free_port()}", TEST_TOKEN)
    with pytest.raises(ActivityUnavailable) as caught:
        await nobody.post_event(event_body())
    assert caught.value.status is None
    health = await nobody.health()
    assert not health.ok
    assert health.error


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (408, ActivityUnavailable),
        (429, ActivityUnavailable),
        (500, ActivityUnavailable),
        (502, ActivityUnavailable),
        (400, ActivityRejected),
        (404, ActivityRejected),
        (422, ActivityRejected),
    ],
)
async def test_statuses_split_into_unavailable_and_rejected(
    aiohttp_raw_server: Callable[..., Awaitable[Any]],
    session: aiohttp.ClientSession,
    status: int,
    error: type[Exception],
) -> None:
    seen: dict[str, str] = {}

    async def answer(request: web.BaseRequest) -> web.Response:
        seen.update(request.headers)
        return web.Response(status=status, text="<html>proxy says no</html>")

    server = await aiohttp_raw_server(answer)
    client = ActivityClient(session, str(server.make_url("")), TEST_TOKEN)
    with pytest.raises(error) as caught:
        await client.post_event(event_body(request_id="req-7"))
    assert caught.value.status == status  # type: ignore[attr-defined]
    assert caught.value.body == "<html>proxy says no</html>"  # type: ignore[attr-defined]
    assert seen["Authorization"] == f"Bearer {TEST_TOKEN}"
    assert seen["X-Request-ID"] == "req-7"
