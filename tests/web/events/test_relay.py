"""The outbox relay of several web processes: only the holder of the relay lease relays, so
each leftover is handed over (and counted) once, and another takes over when it stops."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry

from src.common.settings import Settings
from src.jobs import create_pool, queue_stats
from src.web.database import Database
from src.web.events.queue import EventQueue
from src.web.events.relay import OutboxRelay, RelayPolicy
from src.web.instruments import WebMetrics
from tests.support.outbox import outbox_count, put_leftovers
from tests.support.waiting import eventually

QUICK = RelayPolicy(interval=0.02, grace=0.5, max_backoff=0.3, batch=7)


class Process:
    """What one web process has for relaying: its database engine, queue and relay."""

    def __init__(self, settings: Settings) -> None:
        self.database = Database(settings.database_url)
        self.queue = EventQueue(settings)

    async def open(self) -> OutboxRelay:
        await self.queue.open()
        self.relay = OutboxRelay(self.database, self.queue, QUICK, WebMetrics(CollectorRegistry()))
        return self.relay

    async def close(self) -> None:
        await self.relay.stop()
        await self.queue.close()
        await self.database.close()


@pytest.fixture
def relay_settings(settings: Settings, sqlite_url: str, redis_url: str) -> Settings:
    return settings.model_copy(update={"database_url": sqlite_url, "redis_url": redis_url})


@pytest.fixture
async def processes(relay_settings: Settings) -> AsyncIterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        await process.close()


async def test_one_relay_at_a_time_and_a_takeover(
    relay_settings: Settings, processes: list[Process]
) -> None:
    url = relay_settings.database_url
    await put_leftovers(url, 50)  # several batches: two relays would overlap without the lease
    for _ in range(2):
        processes.append(Process(relay_settings))
    first, second = [await process.open() for process in processes]
    first.start()
    second.start()
    await eventually(lambda: outbox_count(url), lambda n: n == 0, what="an empty outbox")
    assert sorted([first.relayed, second.relayed]) == [0, 50]
    holder, heir = (first, second) if first.relayed else (second, first)

    await holder.stop()  # gives the lease back: the other relays from now on
    await put_leftovers(url, 5)
    await eventually(lambda: outbox_count(url), lambda n: n == 0, what="the heir to relay")
    assert (holder.relayed, heir.relayed) == (50, 5)
    pool = await create_pool(relay_settings)
    try:
        assert (await queue_stats(pool)).depth == 55
    finally:
        await pool.aclose()
