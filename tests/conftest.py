"""Fixtures every test scope shares: clean settings, a real Redis, free ports.

Tests never read the developer's environment: every variable of docs/settings.md is removed
before each test, and `settings` points every store and file at the test's own tmp dir.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from src.common.embedded_redis import EmbeddedRedis
from src.common.settings import Settings, env_name

TEST_TOKEN = "test-activity-token-0123456789"
TEST_SECRET = "test-secret-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for field in Settings.model_fields:
        monkeypatch.delenv(env_name(field), raising=False)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """A real `redis-server` on a free port for the whole session (AOF on, its own dir).

    Tests that stop, kill or restart Redis use `own_redis` instead.
    """
    with EmbeddedRedis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
async def redis_url(redis_server: EmbeddedRedis) -> str:
    """The session Redis, emptied before the test."""
    client = aioredis.from_url(redis_server.url)
    await client.flushdb()
    await client.aclose()
    return redis_server.url


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A `redis-server` of the test's own, free to stop, kill and restart."""
    server = EmbeddedRedis(tmp_path / "own-redis").start()
    try:
        yield server
    finally:
        if server.running():
            server.kill()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose stores and files live in the test's tmp dir, with fixed secrets."""
    return Settings(
        var_dir=tmp_path / "var",
        activity_db_url=f"sqlite:///{tmp_path / 'activity.sqlite3'}",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}",
        activity_token=TEST_TOKEN,
        secret_key=TEST_SECRET,
    )
