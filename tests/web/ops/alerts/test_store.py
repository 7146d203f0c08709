"""The alert store on a real Redis: open alerts paged and counted in Redis (never read
whole), at most `MAX_OPEN_PER_KIND` open per kind (then one overflow alert counts the
rest), and a history trimmed past `KEEP` that never strands an open alert."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from src.web.ops.alerts import store as alert_store
from src.web.ops.alerts.store import MAX_OPEN_PER_KIND, OPEN, OVERFLOW_SUBJECT, AlertStore


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url)
    yield client
    await client.aclose()


async def _commands(redis: aioredis.Redis) -> dict[str, int]:
    """The commands Redis ran since the last `CONFIG RESETSTAT`, and how often."""
    stats = await redis.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}


async def test_open_alerts_are_paged_and_counted_in_redis(redis: aioredis.Redis) -> None:
    store = AlertStore(redis)
    await store.raise_alert("queue_depth", "arq:queue", "too deep")
    for n in range(30):
        await store.raise_alert("forbidden", f"visitor@10.0.0.{n}", f"refused {n}")
    await store.resolve("forbidden", "visitor@10.0.0.0")
    await redis.config_resetstat()
    page = await store.list("open", offset=5, limit=10)
    counts = await store.open_counts()
    newest = await store.open_alerts(limit=3)
    commands = await _commands(redis)
    assert "hgetall" not in commands  # the open alerts are never read whole
    assert commands["hmget"] == 2  # one page of entries, then the newest three
    assert page.total == 30
    assert [alert.subject for alert in page.items] == [
        f"visitor@10.0.0.{n}" for n in range(24, 14, -1)
    ]
    assert counts == {"queue_depth": 1, "forbidden": 29}
    assert [alert.message for alert in newest] == ["refused 29", "refused 28", "refused 27"]
    assert [a.subject for a in await store.open_alerts("queue_depth")] == ["arq:queue"]


async def test_past_the_cap_a_kind_gets_one_overflow_alert(redis: aioredis.Redis) -> None:
    store = AlertStore(redis)
    for n in range(MAX_OPEN_PER_KIND):
        _, created = await store.raise_alert("login_failures", f"name{n}", "guessing")
        assert created
    first, created = await store.raise_alert("login_failures", "one-too-many", "guessing")
    assert (first.subject, first.details, created) == (OVERFLOW_SUBJECT, {"suppressed": 1}, True)
    for n in range(4):
        again, created = await store.raise_alert("login_failures", f"more{n}", "guessing")
        assert (again.id, created) == (first.id, False)  # counted, not alerted again
    assert (await store.get(first.id)).details == {"suppressed": 5}  # type: ignore[union-attr]
    # A subject that has its alert keeps it; other kinds are not affected.
    known, created = await store.raise_alert("login_failures", "name7", "guessing")
    assert (known.subject, created) == ("name7", False)
    assert (await store.raise_alert("forbidden", "mallory", "refused"))[1] is True
    assert await store.open_count("login_failures") == MAX_OPEN_PER_KIND
    assert await store.open_counts() == {"login_failures": MAX_OPEN_PER_KIND + 1, "forbidden": 1}
    assert await store.resolve_overflow("login_failures") is None  # still full
    await store.resolve("login_failures", "name0")
    resolved = await store.resolve_overflow("login_failures")
    assert resolved is not None
    assert resolved.id == first.id
    assert resolved.resolved_at
    assert (await store.raise_alert("login_failures", "one-too-many", "guessing"))[0].subject == (
        "one-too-many"
    )


async def test_the_trimmed_history_never_strands_an_open_alert(
    redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(alert_store, "KEEP", 5)
    store = AlertStore(redis)
    absent, _ = await store.raise_alert("worker_absent", "workers", "no live worker")
    for n in range(10):
        await store.raise_alert("forbidden", f"visitor{n}", "refused")
        await store.resolve("forbidden", f"visitor{n}")
    every = await store.list("all", limit=200)
    assert every.total == 5
    assert [alert.subject for alert in every.items][-1] == "workers"  # kept: it is open
    assert [alert.id for alert in await store.open_alerts("worker_absent")] == [absent.id]
    assert (await store.raise_alert("worker_absent", "workers", "still none"))[1] is False
    resolved = await store.resolve("worker_absent", "workers")
    assert resolved is not None
    assert resolved.id == absent.id
    assert await redis.hlen(OPEN) == 0  # type: ignore[misc]
    await store.raise_alert("forbidden", "late", "refused")  # now the resolved one may go
    assert absent.id not in [alert.id for alert in (await store.list("all")).items]


async def test_an_open_field_without_its_entry_does_not_block_a_new_alert(
    redis: aioredis.Redis,
) -> None:
    """Left by an older version, which trimmed open alerts' entries."""
    await redis.hset(OPEN, "worker_absent workers", "999")  # type: ignore[misc]
    alert, created = await AlertStore(redis).raise_alert("worker_absent", "workers", "none")
    assert created
    assert alert.id != 999
