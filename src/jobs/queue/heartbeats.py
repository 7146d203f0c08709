"""Heartbeats: each worker says every few seconds that it is alive, and what it has done.

A beat writes `wolfit:worker:<id>` (id, host, pid, start time, loop, counters, the ids of
running jobs) with a 15 s TTL, so a worker that dies vanishes from `live_workers` within
15-20 s (docs/worker.md promises within 30 s). The same round trip records the beat in a
sorted set and the latest state in a hash, which keep a trail of workers that stopped or
vanished in the last hour (`recent_workers`), and writes out the worker's per-minute
counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from src.common.tasks import stop_task
from src.jobs.queue.connections import reply
from src.jobs.queue.delivery_counts import WorkerStats
from src.jobs.queue.redis_keys import WORKERS_INDEX, WORKERS_LAST_SEEN, worker_alive

__all__ = [
    "BEAT_INTERVAL",
    "BEAT_TTL",
    "Heartbeat",
    "WorkerInfo",
    "live_workers",
    "recent_workers",
    "worker_identity",
]

log = logging.getLogger(__name__)

BEAT_INTERVAL = 5.0
BEAT_TTL = 15
TRAIL_SECONDS = 3600
STOP_TIMEOUT = 3.0


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def worker_identity(*, max_jobs: int) -> dict[str, Any]:
    """Who this worker is: a fresh id, host, pid, start time, and the loop it runs on."""
    host = socket.gethostname()
    pid = os.getpid()
    try:
        loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
    except RuntimeError:
        loop = "unknown"
    return {
        "id": f"{host}-{pid}-{uuid.uuid4().hex[:6]}",
        "host": host,
        "pid": pid,
        "started": _now_iso(),
        "loop": loop,  # "uvloop" or "asyncio"
        "max_jobs": max_jobs,
    }


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """One worker as its last beat described it; `state` is live, stopped or vanished."""

    id: str
    host: str
    pid: int
    started: str
    last_beat: str
    state: str
    done: int = 0
    retried: int = 0
    failed: int = 0
    running: int = 0
    running_jobs: list[str] = field(default_factory=list)
    loop: str = "unknown"
    max_jobs: int = 0
    stopped_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_beat(cls, raw: bytes | str, state: str) -> WorkerInfo:
        data = json.loads(raw)
        data["state"] = state
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})


class Heartbeat:
    """Beats for one worker in a background task; `stop()` says goodbye cleanly."""

    def __init__(self, redis: Redis, stats: WorkerStats, identity: dict[str, Any]) -> None:
        self.redis = redis
        self.stats = stats
        self.identity = identity
        self.worker_id: str = identity["id"]
        self._task: asyncio.Task[None] | None = None

    def _state(self, **extra: Any) -> str:
        return json.dumps(
            {**self.identity, **self.stats.snapshot(), "last_beat": _now_iso(), **extra},
            separators=(",", ":"),
        )

    async def beat(self) -> None:
        """Write one beat, the counters since the last one, and prune the hour-old trail."""
        now = time.time()
        state = self._state()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(worker_alive(self.worker_id), state, ex=BEAT_TTL)
            pipe.zadd(WORKERS_INDEX, {self.worker_id: now})
            pipe.hset(WORKERS_LAST_SEEN, self.worker_id, state)
            pipe.zrangebyscore(WORKERS_INDEX, "-inf", now - TRAIL_SECONDS)
            undo = self.stats.flush_into(pipe)
            try:
                results = await pipe.execute()
            except BaseException:
                undo()
                raise
        expired = results[3]
        if expired:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zrem(WORKERS_INDEX, *expired)
                pipe.hdel(WORKERS_LAST_SEEN, *expired)
                await pipe.execute()

    async def _run(self) -> None:
        while True:
            try:
                await self.beat()
            except Exception:  # Redis away: the worker goes on, the beat comes back with it
                log.warning("heartbeat of worker %s failed", self.worker_id, exc_info=True)
            await asyncio.sleep(BEAT_INTERVAL)

    async def start(self) -> None:
        """Beat once now (so the worker is listed at once), then every few seconds."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(STOP_TIMEOUT):
                await self.beat()
        self._task = asyncio.create_task(self._run(), name=f"heartbeat {self.worker_id}")

    async def stop(self) -> None:
        """Stop beating; leave the live list at once and the trail marked as stopped."""
        if self._task is not None:
            await stop_task(self._task)
            self._task = None
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                state = self._state(stopped_at=_now_iso())
                async with self.redis.pipeline(transaction=True) as pipe:
                    self.stats.flush_into(pipe)  # last words: nothing to put back after
                    pipe.delete(worker_alive(self.worker_id))
                    pipe.zadd(WORKERS_INDEX, {self.worker_id: time.time()})
                    pipe.hset(WORKERS_LAST_SEEN, self.worker_id, state)
                    await pipe.execute()
        except Exception:
            log.warning("worker %s could not sign off; its beat will expire", self.worker_id)


async def _trail(redis: Redis) -> tuple[list[str], list[bytes | None]]:
    ids = [
        item.decode()
        for item in await redis.zrangebyscore(WORKERS_INDEX, time.time() - TRAIL_SECONDS, "+inf")
    ]
    if not ids:
        return [], []
    beats: list[bytes | None] = await redis.mget([worker_alive(worker_id) for worker_id in ids])
    return ids, beats


async def live_workers(redis: Redis) -> list[WorkerInfo]:
    """Workers whose heartbeat has not expired, oldest first."""
    _, beats = await _trail(redis)
    workers = [WorkerInfo.from_beat(raw, "live") for raw in beats if raw is not None]
    return sorted(workers, key=lambda worker: worker.started)


async def recent_workers(redis: Redis) -> list[WorkerInfo]:
    """Workers gone in the last hour, newest last beat first: `stopped` if they signed off,
    `vanished` if their heartbeat just expired (killed, hung, or cut off from Redis)."""
    ids, beats = await _trail(redis)
    gone = [worker_id for worker_id, raw in zip(ids, beats, strict=True) if raw is None]
    if not gone:
        return []
    workers = []
    for raw in await reply(redis.hmget(WORKERS_LAST_SEEN, gone)):
        if raw is not None:
            state = "stopped" if json.loads(raw).get("stopped_at") else "vanished"
            workers.append(WorkerInfo.from_beat(raw, state))
    return sorted(workers, key=lambda worker: worker.last_beat, reverse=True)
