"""The dead-letter store: events the worker gave up on, kept in Redis until an operator acts.

Layout (never expiring): a sorted set `wolfit:dead-letters` (event id -> time it was parked,
for newest-first pages without loading everything) and a hash `wolfit:dead-letters:entries`
(event id -> the entry as JSON). An event parked twice keeps one entry, the latest.

`retry` re-enqueues the event under its own id, so it still cannot be queued twice, and
removes the entry only once the job exists; it first deletes arq's result of the failed job,
because arq refuses a job id whose result is still kept. `retry_many` does the same for a
batch in three round trips in all (read the entries; delete the results and enqueue; record
the retries and remove the entries), which is what lets "retry all" stay fast.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix
from redis.exceptions import RedisError

from src.jobs.queue.connections import reply
from src.jobs.queue.delivery_story import queue_append, try_record
from src.jobs.queue.errors import DeadLetterNotFound, QueueUnavailable
from src.jobs.queue.producer import DELIVERY_FUNCTION, enqueue_script_call
from src.jobs.queue.redis_keys import DEAD_LETTER_ENTRIES, DEAD_LETTER_INDEX
from src.jobs.queue.scripts import ENQUEUE, bound

__all__ = ["DeadLetter", "DeadLetterPage", "DeadLetterStore", "RetryOutcome"]

# What became of one id of `retry_many`: a new job; a job of that id was queued or running
# already (the entry goes either way); no such entry (retried or deleted meanwhile); or
# neither a new job nor a queued one (a result key came back between the two steps): the
# entry is kept, try again.
RetryOutcome = Literal["requeued", "already_queued", "missing", "not_retried"]

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

    async def oldest_ids(self, limit: int) -> Sequence[str]:
        """The ids of the `limit` entries parked longest ago, oldest first."""
        ids = await reply(self.redis.zrange(DEAD_LETTER_INDEX, 0, limit - 1))
        return [raw.decode() if isinstance(raw, bytes) else str(raw) for raw in ids]

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
        outcome = (await self.retry_many([event_id]))[event_id]
        if outcome == "missing":
            raise DeadLetterNotFound(f"no dead letter with id {event_id!r}")
        if outcome == "not_retried":
            raise QueueUnavailable(f"dead letter {event_id} was not retried: try again")
        return outcome == "requeued"

    async def retry_many(self, event_ids: Sequence[str]) -> dict[str, RetryOutcome]:
        """`retry` for each id, in three round trips for the whole batch; answers what became
        of each id. Raises `QueueUnavailable` if Redis fails (entries not yet removed stay).
        """
        try:
            return await self._retry_many(list(dict.fromkeys(event_ids)))
        except (TimeoutError, RedisError, OSError) as exc:
            shown = event_ids[0] if len(event_ids) == 1 else f"batch of {len(event_ids)}"
            raise QueueUnavailable(f"dead letter {shown} was not retried: {exc}") from exc

    async def _retry_many(self, event_ids: Sequence[str]) -> dict[str, RetryOutcome]:
        outcomes: dict[str, RetryOutcome] = dict.fromkeys(event_ids, "missing")
        raws = await reply(self.redis.hmget(DEAD_LETTER_ENTRIES, [*event_ids])) if event_ids else []
        pairs = zip(event_ids, raws, strict=True)
        found = {event_id: raw for event_id, raw in pairs if raw is not None}
        if not found:
            return outcomes
        entries = {event_id: DeadLetter.from_json(raw) for event_id, raw in found.items()}
        created = await self._enqueue(entries)
        async with self.redis.pipeline(transaction=False) as pipe:
            for event_id, entry in entries.items():
                if created[event_id]:
                    error = f"retried after: {entry.error}"
                    record = try_record(0, "requeued", duration=0.0, error=error)
                    queue_append(pipe, event_id, record)
                else:  # arq refused the id: fine if its job is queued or running
                    pipe.exists(job_key_prefix + event_id, in_progress_key_prefix + event_id)
            answers = iter(await pipe.execute())
        removable = []
        for event_id in entries:
            if created[event_id]:
                for _ in range(3):  # the story's RPUSH, LTRIM, EXPIRE
                    next(answers)
                outcomes[event_id] = "requeued"
            elif next(answers):
                outcomes[event_id] = "already_queued"
            else:
                outcomes[event_id] = "not_retried"
                continue
            removable.append(event_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            for event_id in removable:
                await self._remove_if_unchanged(
                    keys=[DEAD_LETTER_INDEX, DEAD_LETTER_ENTRIES],
                    args=[event_id, found[event_id]],
                    client=pipe,
                )
            await pipe.execute()
        return outcomes

    async def _enqueue(self, entries: dict[str, DeadLetter]) -> dict[str, bool]:
        """Delete each failed run's result (arq would refuse the id while it is kept; the
        entry keeps the story) and enqueue the event again; answers id -> a new job."""
        enqueue = bound(self.redis, ENQUEUE)
        async with self.redis.pipeline(transaction=False) as pipe:
            for event_id, entry in entries.items():
                pipe.delete(result_key_prefix + event_id)
                keys, args = enqueue_script_call(
                    self.redis, DELIVERY_FUNCTION, (entry.event,), {"requeued": True}, event_id
                )
                await enqueue(keys=keys, args=args, client=pipe)
            answers = await pipe.execute()
        return {event_id: bool(answers[2 * n + 1]) for n, event_id in enumerate(entries)}
