"""What one enqueue costs the producer (the web process): round trips, wall time, CPU.

Two producers on the same Redis, one enqueue at a time as the web app does after a commit:
arq's own `ArqRedis.enqueue_job` (WATCH, EXISTS, MULTI/PSETEX/ZADD/EXEC) and
`src.jobs.enqueue_event` (one Lua script). Round trips are counted on the connection (one
write to the socket per round trip; a pipeline is one).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from arq.connections import ArqRedis
from redis.asyncio import Connection

from src.common.events import ActivityEvent
from src.jobs.queue.connections import producer_pool
from src.jobs.queue.producer import DELIVERY_FUNCTION, enqueue_event

__all__ = ["CountingConnection", "EnqueueCost", "cost_table", "measure_enqueue_cost"]

WARM_UP = 20  # enqueues before counting: connection, script load


class CountingConnection(Connection):
    """A redis-py connection that counts its writes: one per round trip (a pipeline is one)."""

    writes = 0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.writes += 1
        await super().send_packed_command(command, check_health)


@dataclass(frozen=True, slots=True)
class EnqueueCost:
    """One producer's cost per enqueue."""

    producer: str
    enqueues: int
    round_trips: float
    wall_us: float  # one at a time, awaited: what a request waits
    cpu_us: float  # the producer process's CPU


def _events(count: int) -> list[ActivityEvent]:
    return [
        ActivityEvent.new("bench.vote", details=f"vote {n}", user_id=n, username="bench")
        for n in range(count)
    ]


async def _arq_enqueue(pool: ArqRedis, event: ActivityEvent) -> None:
    await pool.enqueue_job(DELIVERY_FUNCTION, event.to_json_dict(), _job_id=str(event.id))


async def _our_enqueue(pool: ArqRedis, event: ActivityEvent) -> None:
    await enqueue_event(pool, event)


async def _cost(
    pool: ArqRedis,
    name: str,
    enqueue: Callable[[ArqRedis, ActivityEvent], Awaitable[None]],
    count: int,
) -> EnqueueCost:
    await pool.flushdb()
    for event in _events(WARM_UP):
        await enqueue(pool, event)
    events = _events(count)
    writes, wall, cpu = CountingConnection.writes, time.perf_counter(), time.process_time()
    for event in events:
        await enqueue(pool, event)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return EnqueueCost(
        producer=name,
        enqueues=count,
        round_trips=round((CountingConnection.writes - writes) / count, 2),
        wall_us=round(wall / count * 1e6, 1),
        cpu_us=round(cpu / count * 1e6, 1),
    )


async def measure_enqueue_cost(redis_url: str, count: int) -> list[EnqueueCost]:
    """arq's `enqueue_job` and `enqueue_event`, `count` enqueues each; Redis is flushed."""
    pool = producer_pool(redis_url, connection_class=CountingConnection)
    try:
        return [
            await _cost(pool, "arq enqueue_job", _arq_enqueue, count),
            await _cost(pool, "enqueue_event (Lua)", _our_enqueue, count),
        ]
    finally:
        await pool.flushdb()
        await pool.aclose()


def cost_table(costs: list[EnqueueCost]) -> str:
    """The producer figures as a table."""
    lines = [f"{'producer':<24} {'enqueues':>9} {'round trips':>12} {'µs each':>9} {'CPU µs':>8}"]
    for cost in costs:
        lines.append(
            f"{cost.producer:<24} {cost.enqueues:>9} {cost.round_trips:>12.2f} "
            f"{cost.wall_us:>9.0f} {cost.cpu_us:>8.0f}"
        )
    return "\n".join(lines)
