"""Fixtures of the web tests: migrated databases (SQLite always, PostgreSQL when reachable),
a running app with a form-driving client, cheap argon2 parameters."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from src.common.embedded_redis import free_port
from src.common.settings import Settings
from src.web import RelayPolicy, create_app
from src.web.database import Database
from src.web.models import Base
from src.web.schema import upgrade
from src.web.security.passwords import PasswordPolicy
from tests.support.site_client import SiteClient

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1/test"
)
QUICK_RELAY = RelayPolicy(interval=0.05, grace=0.5, max_backoff=0.3, batch=200)

AppFactory = Callable[..., Awaitable[SiteClient]]


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """argon2id with tiny costs: the same code path, a hundred times faster."""
    previous = PasswordPolicy.hasher
    PasswordPolicy.use(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    PasswordPolicy.use(previous)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the newest schema, made once and copied by each test."""
    path = tmp_path_factory.mktemp("template") / "web.sqlite3"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


def _pg_admin_dsn() -> str:
    return make_url(TEST_DATABASE_URL).set(drivername="postgresql").render_as_string(False)


async def _pg_execute(sql: str) -> None:
    connection = await asyncpg.connect(_pg_admin_dsn(), timeout=3)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database at the newest schema, dropped after the session."""
    name = f"wolfit_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_pg_execute(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        pytest.skip(f"PostgreSQL at {TEST_DATABASE_URL} is unreachable: {exc}")
    url = make_url(TEST_DATABASE_URL).set(database=name).render_as_string(False)
    try:
        asyncio.run(upgrade(url))
        yield url
    finally:
        asyncio.run(_pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(migrated_sqlite: Path, tmp_path: Path) -> str:
    """A fresh migrated SQLite database of the test's own."""
    path = tmp_path / "web.sqlite3"
    shutil.copyfile(migrated_sqlite, path)
    return f"sqlite+aiosqlite:///{path}"


def _truncate_all(connection: Connection) -> None:
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty migrated database: SQLite, then PostgreSQL when reachable."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A `Database` on an empty migrated schema (each data-layer test runs on both)."""
    db = Database(database_url)
    if db.dialect == "postgresql":
        await db.write(_truncate_all)
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture
def web_settings(settings: Settings, sqlite_url: str) -> Settings:
    """Settings for a web app on a fresh SQLite database; the activity service is nowhere
    (a closed port) unless a test starts one."""
    return settings.model_copy(
        update={
            "database_url": sqlite_url,
            "activity_url": f"http://127.0.0.1:{free_port()}",
            "activity_mode": "off",
        }
    )


@pytest.fixture
def make_site(
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]], web_settings: Settings
) -> AppFactory:
    """Start the web app (overriding settings by keyword) and answer a client of it."""

    async def make(*, relay_policy: RelayPolicy = QUICK_RELAY, **overrides: Any) -> SiteClient:
        app = create_app(web_settings.model_copy(update=overrides), relay_policy=relay_policy)
        client = await aiohttp_client(app)
        return SiteClient(client)

    return make


@pytest.fixture
async def site_on_each_database(make_site: AppFactory, database_url: str) -> SiteClient:
    """The web app on an empty database of each kind: SQLite, then PostgreSQL when reachable
    (skipped with a reason otherwise), for the inputs that only PostgreSQL refuses."""
    if make_url(database_url).get_backend_name() == "postgresql":
        db = Database(database_url)
        try:
            await db.write(_truncate_all)
        finally:
            await db.close()
    return await make_site(database_url=database_url)


@pytest.fixture
def visitor(
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
) -> Callable[[SiteClient], Awaitable[SiteClient]]:
    """Another visitor (their own cookies) of the same running app."""

    async def make(site: SiteClient) -> SiteClient:
        return SiteClient(await aiohttp_client(site.client.server))

    return make


@pytest.fixture
async def site(make_site: AppFactory) -> SiteClient:
    """The web app with ACTIVITY_MODE=off, and one visitor."""
    return await make_site()


def app_of(site: SiteClient) -> web.Application:
    """The application behind a site client."""
    app = site.client.app
    assert app is not None
    return app
