"""The dead-letter store: events the worker gave up on, kept in Redis until an operator acts.

Layout (never expiring): a sorted set `wolfit:dead-letters` (event id -> time it was parked,
for newest-first pages without loading everything) and a hash `wolfit:dead-letters:entries`
(event id -> the entry as JSON). An event parked twice keeps one entry, the latest.

`retry` re-enqueues the event under its own id, so it still cannot be queued twice, and
removes the entry only once the job exists; it first deletes arq's result of the failed job,
because arq refuses a job id whose result is still kept.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix
from redis.exceptions import RedisError

from .errors import DeadLetterNotFound, QueueUnavailable
from .keys import DEAD_LETTER_ENTRIES, DEAD_LETTER_INDEX
from .producer import DELIVERY_FUNCTION, enqueue_once
from .replies import reply
from .story import append_try, try_record

__all__ = ["DeadLetter", "DeadLetterPage", "DeadLetterStore"]

MAX_PAGE = 200

# Remove the entry only if it is still the one that was retried: the retried job may already
# have failed again and parked a newer entry under the same id.
_REMOVE_IF_UNCHANGED = """
if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
"""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One parked event: what it was, why it failed, and every try it had."""

    id: str
    event: Any  # the job's argument as it was queued, even if malformed
    error: str
    reason: str  # "rejected", "exhausted", "invalid" or "interrupted"
    tries: int
    status: int | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    dead_lettered_at: str = field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="milliseconds")
    )
    retried: int = 0  # how often operators re-enqueued this event before (from its story)

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON-safe data, as the ops API shows it."""
        return asdict(self)

    @classmethod
    def from_json(cls, raw: bytes | str) -> DeadLetter:
        data = json.loads(raw)
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})


@dataclass(frozen=True, slots=True)
class DeadLetterPage:
    """One page of dead letters, newest first, and how many there are in all."""

    items: list[DeadLetter]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        """The offset of the next page, or None on the last one."""
        following = self.offset + self.limit
        return following if following < self.total else None


class DeadLetterStore:
    """List, get, retry and delete parked events; the worker adds them."""

    def __init__(self, redis: ArqRedis) -> None:
        self.redis = redis
        self._remove_if_unchanged = redis.register_script(_REMOVE_IF_UNCHANGED)

    async def add(self, entry: DeadLetter) -> None:
        """Park an event (replacing an older entry for the same id)."""
        raw = json.dumps(entry.to_dict(), separators=(",", ":"))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(DEAD_LETTER_ENTRIES, entry.id, raw)
            pipe.zadd(DEAD_LETTER_INDEX, {entry.id: time.time() * 1000})
            await pipe.execute()

    async def count(self) -> int:
        """How many events are parked."""
        return int(await self.redis.zcard(DEAD_LETTER_INDEX))

    async def newest_at(self) -> float | None:
        """When the newest entry was parked (seconds since the epoch), or None if none is."""
        newest = await self.redis.zrevrange(DEAD_LETTER_INDEX, 0, 0, withscores=True)
        return float(newest[0][1]) / 1000 if newest else None

    async def list(self, *, offset: int = 0, limit: int = 50) -> DeadLetterPage:
        """One page, newest first (`limit` 1..200); reads only that page from Redis."""
        if offset < 0:
            raise ValueError("offset must be 0 or more")
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE}")
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrevrange(DEAD_LETTER_INDEX, offset, offset + limit - 1)
            pipe.zcard(DEAD_LETTER_INDEX)
            ids, total = await pipe.execute()
        raws = await reply(self.redis.hmget(DEAD_LETTER_ENTRIES, ids)) if ids else []
        items = [DeadLetter.from_json(raw) for raw in raws if raw is not None]
        return DeadLetterPage(items, int(total), offset, limit)

    async def get(self, event_id: str) -> DeadLetter | None:
        """One entry, or None."""
        raw = await reply(self.redis.hget(DEAD_LETTER_ENTRIES, event_id))
        return None if raw is None else DeadLetter.from_json(raw)

    async def delete(self, event_id: str) -> bool:
        """Drop an entry for good; False if there was none."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(DEAD_LETTER_ENTRIES, event_id)
            pipe.zrem(DEAD_LETTER_INDEX, event_id)
            removed, _ = await pipe.execute()
        return bool(removed)

    async def retry(self, event_id: str) -> bool:
        """Queue the event again under its id; True if a new job was made, False if one was
        already queued or running. The entry goes only once the job exists.

        Raises `DeadLetterNotFound` for an unknown id and `QueueUnavailable` if Redis fails.
        """
        try:
            return await self._retry(event_id)
        except (TimeoutError, RedisError, OSError) as exc:
            raise QueueUnavailable(f"dead letter {event_id} was not retried: {exc}") from exc

    async def _retry(self, event_id: str) -> bool:
        raw = await reply(self.redis.hget(DEAD_LETTER_ENTRIES, event_id))
        if raw is None:
            raise DeadLetterNotFound(f"no dead letter with id {event_id!r}")
        entry = DeadLetter.from_json(raw)
        # The failed run's result would make arq refuse the id; the entry keeps its story.
        await self.redis.delete(result_key_prefix + event_id)
        created = await enqueue_once(
            self.redis, DELIVERY_FUNCTION, entry.event, job_id=event_id, requeued=True
        )
        if not created:
            queued = await self.redis.exists(
                job_key_prefix + event_id, in_progress_key_prefix + event_id
            )
            if not queued:
                raise QueueUnavailable(f"dead letter {event_id} was not retried: try again")
        else:
            record = try_record(0, "requeued", duration=0.0, error=f"retried after: {entry.error}")
            await append_try(self.redis, event_id, record)
        await self._remove_if_unchanged(
            keys=[DEAD_LETTER_INDEX, DEAD_LETTER_ENTRIES], args=[event_id, raw]
        )
        return created
