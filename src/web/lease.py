"""A lease in Redis: work that must run in one web process at a time, whichever holds it.

`wolfit web` runs several processes (WEB_PROCESSES), and compose may run several replicas.
Background work that must not run twice at once (the alert evaluator, the outbox relay)
takes a lease before each round: a Redis key holding the holder's random token, with a
time to live. The holder renews it each round; the others find it taken and wait. When the
holder dies its lease lapses after `ttl` seconds and another process takes it; when it
stops cleanly it gives the lease back at once.

Taking and renewing are one Lua script, so a lease never lapses between a check and its
renewal; releasing deletes the key only if it still holds our token (it may have lapsed
and gone to another process). Like arq, this is not Redis Cluster safe.

A lease is not a fence: a holder paused longer than `ttl` may overlap its successor for
one round. The work guarded here stays correct when that happens (enqueueing is
idempotent on the event id; raising an alert is one Lua step); the lease keeps it from
being done, and counted, once per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from redis.asyncio import Redis

__all__ = ["RedisLease"]

# Take the lease, or renew it if it is ours: one step, so it never lapses in between.
_TAKE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
# Give the lease back only if it is still ours.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
RELEASE_TIMEOUT = 5.0


class RedisLease:
    """One process's claim on the lease `key`; `hold()` before each round of the work."""

    def __init__(self, redis: Redis, key: str, ttl: float) -> None:
        if ttl <= 0:
            raise ValueError("a lease needs a time to live above 0 s")
        self.redis = redis
        self.key = key
        self.ttl = ttl
        self.token = uuid.uuid4().hex
        self._take = redis.register_script(_TAKE)
        self._release = redis.register_script(_RELEASE)

    async def hold(self) -> bool:
        """Take the lease or renew ours for `ttl` seconds; False while another holds it.

        Redis errors propagate: without Redis nobody can tell who holds the lease.
        """
        held = await self._take(keys=[self.key], args=[self.token, int(self.ttl * 1000)])
        return bool(held)

    async def release(self) -> None:
        """Give the lease back if we hold it, so another process takes over at once; never
        raises, and a dead Redis does not hold up a shutdown (the lease lapses by itself)."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(RELEASE_TIMEOUT):
                await self._release(keys=[self.key], args=[self.token])
