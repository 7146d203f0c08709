"""Fast fillers for the dashboard benchmark: a long arq queue and a big activity log.

- `fill_queue`: `post_activity` jobs written the way arq writes them (its keys, its
  `serialize_job` with our JSON serializer, its scores), pipelined in chunks, a tenth of them
  deferred; plus dead letters and finished results so every listing has pages to show.
- `fill_events`: events inserted straight into the activity service's SQLite store, in one
  transaction with `executemany` (the store's own schema and insert statement).
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis as sync_redis
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import serialize_job, serialize_result

from src.activity.store.sqlite_schema import INSERT, SCHEMA, SCHEMA_VERSION, event_row
from src.jobs import DELIVERY_FUNCTION, DeadLetter, job_serializer
from src.jobs.queue.redis_keys import (
    DEAD_LETTER_ENTRIES,
    DEAD_LETTER_INDEX,
    QUEUE_NAME,
    RECENT_DELIVERIES,
    RECENT_FAILURES,
    RECENT_JOBS,
)

__all__ = ["Filled", "fill_events", "fill_queue"]

CHUNK = 5_000
TYPES = ("post.vote", "post.create", "comment.create", "user.login", "user.logout")
JOB_TTL_MS = 7 * 24 * 3600 * 1000


@dataclass
class Filled:
    """Ids the measurer uses for routes about one item (one per request of such routes)."""

    queued: list[str] = field(default_factory=list)
    dead_letters: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)


def _event(number: int, when: datetime) -> dict[str, Any]:
    user = number % 5000
    kind = TYPES[number % len(TYPES)]
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "user_id": user,
        "username": f"user{user}",
        "timestamp": when.isoformat(),
        "details": f"user{user} did {kind} number {number}",
        "data": {"post_id": number % 997},
        "request_id": uuid.uuid4().hex,
    }


def fill_queue(
    redis_url: str, jobs: int, *, dead_letters: int = 3_000, finished: int = 1_000
) -> Filled:
    """Queue `jobs` deliveries (a tenth deferred), park `dead_letters`, keep `finished`
    results; answers the ids the measurer needs."""
    client = sync_redis.Redis.from_url(redis_url)
    filled = Filled()
    now_ms = int(time.time() * 1000)
    start = datetime.now(UTC)
    try:
        for first in range(0, jobs, CHUNK):
            pipe = client.pipeline(transaction=False)
            for number in range(first, min(jobs, first + CHUNK)):
                event = _event(number, start)
                deferred = number % 10 == 9
                score = now_ms + 3_600_000 if deferred else now_ms - (jobs - number)
                raw = serialize_job(
                    DELIVERY_FUNCTION, (event,), {}, None, now_ms, serializer=job_serializer
                )
                pipe.set(job_key_prefix + event["id"], raw, px=JOB_TTL_MS)
                pipe.zadd(QUEUE_NAME, {event["id"]: score})
                if not deferred and len(filled.queued) < 5_000:
                    filled.queued.append(event["id"])
            pipe.execute()
        pipe = client.pipeline(transaction=False)
        for number in range(dead_letters):
            event = _event(number, start)
            entry = DeadLetter(event["id"], event, "HTTP 503", "exhausted", 25, status=503)
            pipe.hset(DEAD_LETTER_ENTRIES, event["id"], json.dumps(entry.to_dict()))
            pipe.zadd(DEAD_LETTER_INDEX, {event["id"]: now_ms - number})
            filled.dead_letters.append(event["id"])
        for number in range(finished):
            event = _event(number, start)
            success = number % 5 != 0
            result = serialize_result(
                DELIVERY_FUNCTION, (event,), {}, 1, now_ms, success,
                {"delivered": True} if success else RuntimeError("rejected"),
                now_ms, now_ms + 5, f"{event['id']}:{DELIVERY_FUNCTION}", QUEUE_NAME,
                job_id=event["id"], serializer=job_serializer,
            )  # fmt: skip
            pipe.set(result_key_prefix + event["id"], result or b"", px=3_600_000)
            pipe.lpush(RECENT_JOBS, event["id"])
            pipe.lpush(RECENT_DELIVERIES if success else RECENT_FAILURES, event["id"])
            filled.finished.append(event["id"])
        pipe.execute()
    finally:
        client.close()
    return filled


def fill_events(path: Path, events: int) -> None:
    """Store `events` events in the SQLite activity store at `path`, spread over a month."""
    connection = sqlite3.connect(path)
    try:
        connection.executescript(SCHEMA + f"PRAGMA user_version={SCHEMA_VERSION};")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        rng = random.Random(7)
        start = datetime.now(UTC) - timedelta(days=30)
        step = timedelta(days=30) / max(events, 1)
        received = datetime.now(UTC).isoformat(timespec="milliseconds")
        with connection:
            for first in range(0, events, CHUNK * 4):
                rows = []
                for number in range(first, min(events, first + CHUNK * 4)):
                    event = _event(rng.randrange(10**9), start + step * number)
                    event["received_at"] = received
                    rows.append(event_row(event))
                connection.executemany(INSERT, rows)
    finally:
        connection.close()
