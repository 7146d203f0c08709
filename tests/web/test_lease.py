"""`RedisLease`: one holder at a time, renewed by its holder, handed over on release or lapse."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from src.web.lease import RedisLease
from tests.support.waiting import eventually

KEY = "wolfit:test:lease"


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    connection = aioredis.from_url(redis_url)
    yield connection
    await connection.aclose()


async def test_one_holder_at_a_time_until_it_gives_the_lease_back(
    client: aioredis.Redis,
) -> None:
    first, second = RedisLease(client, KEY, ttl=300), RedisLease(client, KEY, ttl=300)
    assert await first.hold()
    assert await first.hold()  # renewing our own
    assert not await second.hold()
    await second.release()  # not second's to give: nothing happens
    assert await client.get(KEY) == first.token.encode()
    await first.release()
    assert await client.get(KEY) is None
    assert await second.hold()
    assert not await first.hold()


async def test_holding_renews_the_time_to_live(client: aioredis.Redis) -> None:
    lease = RedisLease(client, KEY, ttl=300)
    assert await lease.hold()
    await client.pexpire(KEY, 1000)  # as if most of its time had passed
    assert await lease.hold()
    assert await client.pttl(KEY) > 200_000


async def test_a_lease_whose_holder_stopped_renewing_lapses_to_another(
    client: aioredis.Redis,
) -> None:
    dead, heir = RedisLease(client, KEY, ttl=0.2), RedisLease(client, KEY, ttl=300)
    assert await dead.hold()
    assert not await heir.hold()
    await eventually(heir.hold, bool, what="the lapsed lease to go to the heir")
    assert not await dead.hold()


async def test_giving_back_a_lease_with_redis_gone_does_not_fail() -> None:
    nowhere = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    try:
        await RedisLease(nowhere, KEY, ttl=10).release()
    finally:
        await nowhere.aclose()


def test_a_lease_needs_a_time_to_live(redis_url: str) -> None:
    with pytest.raises(ValueError, match="time to live"):
        RedisLease(aioredis.from_url(redis_url), KEY, ttl=0)
