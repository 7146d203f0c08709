"""Fixtures of the jobs tests: settings pointing at the test's Redis, and an arq pool."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from arq.connections import ArqRedis

from src.common.settings import Settings
from src.jobs import create_pool


@pytest.fixture
def jobs_settings(settings: Settings, redis_url: str) -> Settings:
    """The test settings with `REDIS_URL` on the session Redis (emptied for the test)."""
    return settings.model_copy(update={"redis_url": redis_url})


@pytest.fixture
async def pool(jobs_settings: Settings) -> AsyncIterator[ArqRedis]:
    """The producer's arq pool on the session Redis."""
    redis = await create_pool(jobs_settings)
    yield redis
    await redis.aclose()
