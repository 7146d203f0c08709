"""Fixtures of the activity service tests: a store of each kind, and the app over it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from src.activity import create_app
from src.activity.app_keys import Clock
from src.activity.store import ActivityStore
from src.common.settings import Settings
from tests.support.activity import STORE_KINDS, drop_real_database, make_store

ClientFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    """Each store in turn: sqlite, mongomock (a fake), mongodb (real, when configured)."""
    return str(request.param)


@pytest.fixture
async def store(store_kind: str, tmp_path: Path) -> AsyncIterator[ActivityStore]:
    """An unopened store of `store_kind`; a real MongoDB's test database is dropped after."""
    made = make_store(store_kind, tmp_path)
    yield made
    await drop_real_database(made)


@pytest.fixture
async def opened_store(store: ActivityStore) -> AsyncIterator[ActivityStore]:
    """The store of `store_kind`, opened for the test and closed after it."""
    await store.open()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> ActivityStore:
    """An unopened SQLite store in the test's tmp dir."""
    return make_store("sqlite", tmp_path)


@pytest.fixture
def activity_client(
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    settings: Settings,
    sqlite_store: ActivityStore,
) -> ClientFactory:
    """Start the activity app (SQLite unless `store=` is given) and answer a test client.

    `clock=` fixes the time; other keyword arguments change settings (`sleep_time=0.3`).
    """

    async def start(
        store: ActivityStore | None = None, clock: Clock | None = None, **changes: object
    ) -> TestClient:
        app = create_app(
            settings.model_copy(update=changes), store=store or sqlite_store, clock=clock
        )
        return await aiohttp_client(app)

    return start
