"""The activity service's health as the worker sees it: a cron job every 10 s keeps a short
history (up or down, latency, time, error) in Redis for the dashboard and its alerts.

The list `wolfit:activity-health` holds the newest 360 checks (an hour), newest first.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from src.jobs.queue.connections import reply
from src.jobs.queue.redis_keys import ACTIVITY_HEALTH

__all__ = ["HEALTH_HISTORY", "HealthCheck", "activity_health", "record_health"]

log = logging.getLogger(__name__)

HEALTH_HISTORY = 360


@dataclass(frozen=True, slots=True)
class HealthCheck:
    """One check of the activity service's `/healthz`."""

    ok: bool
    latency: float  # seconds
    at: str
    error: str | None = None
    store: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


async def record_health(
    redis: Redis, *, ok: bool, latency: float, error: str | None, detail: dict[str, Any]
) -> HealthCheck:
    """Push one check on the capped history and return it."""
    store = detail.get("store")
    check = HealthCheck(
        ok=ok,
        latency=round(latency, 4),
        at=datetime.now(UTC).isoformat(timespec="milliseconds"),
        error=error,
        store=store if isinstance(store, str) else None,
    )
    async with redis.pipeline(transaction=True) as pipe:
        pipe.lpush(ACTIVITY_HEALTH, json.dumps(check.to_dict(), separators=(",", ":")))
        pipe.ltrim(ACTIVITY_HEALTH, 0, HEALTH_HISTORY - 1)
        await pipe.execute()
    if not ok:
        log.warning("activity service unhealthy: %s", error)
    return check


async def activity_health(redis: Redis, limit: int = HEALTH_HISTORY) -> list[HealthCheck]:
    """The newest checks first (`limit` 1..360); empty until a worker has run one."""
    if not 1 <= limit <= HEALTH_HISTORY:
        raise ValueError(f"limit must be between 1 and {HEALTH_HISTORY}")
    raws = await reply(redis.lrange(ACTIVITY_HEALTH, 0, limit - 1))
    return [HealthCheck(**json.loads(raw)) for raw in raws]
