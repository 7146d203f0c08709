"""Did every action of a benchmark point end as exactly one stored event? The guarantee,
checked after the speed was measured.

Each action was sent with its own `X-Request-ID`, which the web app puts in the event. Once
the queue is empty, the events stored since the point began are read back from the activity
API (`GET /api/activities?since=...`, every page) and counted per request id: each action
that succeeded must appear once, none twice, and nothing else may appear (in `off` mode:
nothing at all). Dead letters parked during the point are counted too.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import aiohttp
from arq.connections import ArqRedis

from src.common.events import format_timestamp
from src.jobs import queue_stats

__all__ = ["DeliveryCheck", "check_delivery", "stored_request_ids", "wait_for_empty_queue"]

POLL = 0.1
PAGE = 200


@dataclass(frozen=True, slots=True)
class DeliveryCheck:
    """Events expected (one per successful action) against events found."""

    expected: int
    stored: int  # events whose request id is one of the point's actions
    missing: int  # actions with no event
    duplicated: int  # actions with more than one event
    unexpected: int  # events of the period that no action of the point made
    dead_letters: int  # parked during the point
    drain_seconds: float  # from the last answer until the queue was empty

    @property
    def exactly_once(self) -> bool:
        """Every action's event stored once, and nothing else."""
        return (
            self.stored == self.expected
            and not self.missing
            and not self.duplicated
            and not self.unexpected
            and not self.dead_letters
        )

    def as_dict(self) -> dict[str, Any]:
        """The figures and the verdict, for the JSON."""
        return {**asdict(self), "exactly_once": self.exactly_once}


async def wait_for_empty_queue(pool: ArqRedis, patience: float) -> float:
    """Seconds until arq's queue is empty (finished jobs leave it); TimeoutError after
    `patience` seconds."""
    started = time.perf_counter()
    while (await queue_stats(pool)).depth:
        if time.perf_counter() - started > patience:
            raise TimeoutError(f"the queue did not empty within {patience:g} s")
        await asyncio.sleep(POLL)
    return time.perf_counter() - started


async def stored_request_ids(activity_url: str, token: str, since: datetime) -> Counter[str]:
    """How many stored events carry each request id, among events timestamped from `since`."""
    found: Counter[str] = Counter()
    headers = {"Authorization": f"Bearer {token}"}
    params = {"since": format_timestamp(since), "limit": str(PAGE)}
    async with aiohttp.ClientSession(activity_url, headers=headers) as session:
        while True:
            async with session.get("/api/activities", params=params) as response:
                response.raise_for_status()
                page = await response.json()
            found.update(str(item.get("request_id")) for item in page["items"])
            if not page.get("next_cursor"):
                return found
            params["cursor"] = page["next_cursor"]


async def check_delivery(
    pool: ArqRedis,
    activity_url: str,
    token: str,
    *,
    since: datetime,
    request_ids: list[str],
    dead_letters_before: int,
    drain_seconds: float,
    patience: float,
) -> DeliveryCheck:
    """Compare stored events with `request_ids`, once the queue is empty (`drain_seconds`
    after the last answer, as `wait_for_empty_queue` measured).

    Events can still be on their way when the queue looks empty (an outbox row the relay
    has not enqueued yet), so a count that falls short is read again for `patience` seconds.
    """
    deadline = time.perf_counter() + patience
    expected = Counter(request_ids)
    while True:
        found = await stored_request_ids(activity_url, token, since)
        missing = sum(1 for rid in expected if rid not in found)
        if not missing or time.perf_counter() > deadline:
            break
        await asyncio.sleep(POLL * 5)
    return DeliveryCheck(
        expected=len(request_ids),
        stored=sum(count for rid, count in found.items() if rid in expected),
        missing=missing,
        duplicated=sum(1 for rid, count in found.items() if rid in expected and count > 1),
        unexpected=sum(count for rid, count in found.items() if rid not in expected),
        dead_letters=(await queue_stats(pool)).dead_letters - dead_letters_before,
        drain_seconds=round(drain_seconds, 3),
    )
