"""The web app's queue: concurrent requests share round trips to Redis, and each gets its
own answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from src.common.embedded_redis import EmbeddedRedis
from src.common.events import ActivityEvent, EventInvalid
from src.common.settings import Settings
from src.jobs import QueueUnavailable, create_pool, queue_stats
from src.web.events import queue as queue_module
from src.web.events.queue import EventQueue


def _event(n: int) -> ActivityEvent:
    return ActivityEvent.new("post.vote", details=f"vote {n}", user_id=n, username=f"u{n}")


@pytest.fixture
async def queue(settings: Settings, redis_url: str) -> AsyncIterator[EventQueue]:
    opened = EventQueue(settings.model_copy(update={"redis_url": redis_url}))
    await opened.open()
    yield opened
    await opened.close()


async def test_requests_at_once_share_pipelines_and_each_event_is_queued_once(
    queue: EventQueue, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []
    real = queue_module.enqueue_events

    async def counting(pool: Any, events: list[dict[str, Any]]) -> list[bool]:
        batches.append(len(events))
        return await real(pool, events)

    monkeypatch.setattr(queue_module, "enqueue_events", counting)
    events = [_event(n) for n in range(50)]
    assert await asyncio.gather(*(queue.enqueue(event) for event in events)) == [True] * 50
    assert sum(batches) == 50
    assert len(batches) < 50  # the first went alone, the others together
    again = await asyncio.gather(queue.enqueue(events[0]), queue.enqueue(_event(99)))
    assert again == [False, True]
    pool = await create_pool(Settings(redis_url=redis_url))
    try:
        assert (await queue_stats(pool)).depth == 51
    finally:
        await pool.aclose()


async def test_a_malformed_event_fails_its_own_request_only(queue: EventQueue) -> None:
    good, bad = queue.enqueue(_event(1)), queue.enqueue({"type": "Bad Type", "details": "x"})
    results = await asyncio.gather(good, bad, return_exceptions=True)
    assert results[0] is True
    assert isinstance(results[1], EventInvalid)


async def test_when_redis_is_down_every_request_of_the_batch_is_told(
    settings: Settings, own_redis: EmbeddedRedis
) -> None:
    queue = EventQueue(settings.model_copy(update={"redis_url": own_redis.url}))
    await queue.open()
    try:
        own_redis.stop()
        results = await asyncio.gather(
            *(queue.enqueue(_event(n)) for n in range(5)), return_exceptions=True
        )
        assert all(isinstance(result, QueueUnavailable) for result in results), results
    finally:
        await queue.close()
