from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from arq.connections import ArqRedis

from bench import delivery_check
from bench.delivery_check import DeliveryCheck, check_delivery, stored_request_ids
from src.activity import create_app
from src.common.settings import Settings
from src.jobs import create_pool
from tests.conftest import TEST_TOKEN
from tests.support.activity import event_body

AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}


@pytest.fixture
async def activity(aiohttp_server: Callable[..., Awaitable[TestServer]], settings: Settings) -> str:
    """A real activity service (SQLite in the test's tmp dir); its base URL."""
    server = await aiohttp_server(create_app(settings))
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
async def pool(redis_url: str, settings: Settings) -> AsyncIterator[ArqRedis]:
    """An arq pool on the session's Redis (an empty queue)."""
    made = await create_pool(settings.model_copy(update={"redis_url": redis_url}))
    yield made
    await made.aclose()


async def _store(url: str, request_ids: list[str], *, at: datetime | None = None) -> None:
    """Store one event per request id, timestamped `at` (default: now)."""
    async with aiohttp.ClientSession(url, headers=AUTH) as session:
        for request_id in request_ids:
            timestamp = (at or datetime.now(UTC)).isoformat()
            body = event_body(request_id=request_id, timestamp=timestamp)
            async with session.post("/api/activities", json=body) as response:
                assert response.status == 201, await response.text()


def test_exactly_once_needs_every_count_right() -> None:
    good = DeliveryCheck(3, 3, 0, 0, 0, 0, 0.1)
    assert good.exactly_once
    assert good.as_dict()["exactly_once"] is True
    for wrong in (
        DeliveryCheck(3, 2, 1, 0, 0, 0, 0.1),
        DeliveryCheck(3, 4, 0, 1, 0, 0, 0.1),
        DeliveryCheck(3, 3, 0, 0, 1, 0, 0.1),
        DeliveryCheck(3, 3, 0, 0, 0, 1, 0.1),
    ):
        assert not wrong.exactly_once


async def test_request_ids_are_counted_over_every_page(
    activity: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery_check, "PAGE", 2)
    since = datetime.now(UTC) - timedelta(minutes=1)
    await _store(activity, ["a", "b", "c", "c", "d"])
    await _store(activity, ["old"], at=since - timedelta(minutes=5))
    found = await stored_request_ids(activity, TEST_TOKEN, since)
    assert found == {"a": 1, "b": 1, "c": 2, "d": 1}


async def test_missing_duplicated_and_unexpected_events_are_each_reported(
    activity: str, pool: ArqRedis
) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    await _store(activity, ["once", "twice", "twice", "stranger"])
    check = await check_delivery(
        pool, activity, TEST_TOKEN, since=since, request_ids=["once", "twice", "lost"],
        dead_letters_before=0, drain_seconds=0.5, patience=0.3,
    )  # fmt: skip
    assert check == DeliveryCheck(
        expected=3, stored=3, missing=1, duplicated=1, unexpected=1, dead_letters=0,
        drain_seconds=0.5,
    )  # fmt: skip
    assert not check.exactly_once


async def test_every_event_stored_once_passes(activity: str, pool: ArqRedis) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    ids = [uuid.uuid4().hex for _ in range(5)]
    await _store(activity, ids)
    check = await check_delivery(
        pool, activity, TEST_TOKEN, since=since, request_ids=ids,
        dead_letters_before=0, drain_seconds=0.0, patience=5,
    )  # fmt: skip
    assert check.exactly_once
    assert (check.expected, check.stored) == (5, 5)
