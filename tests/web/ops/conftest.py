"""The ops tests' suite: the web app on the test's Redis, the real activity service, an admin
who is logged in, the OPS_TOKEN, and a real arq worker of `src.jobs` when a test starts one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from arq.connections import ArqRedis
from arq.worker import Worker

from src.common.settings import Settings
from src.jobs import create_pool
from src.web.app_keys import DATABASE
from src.web.data.users import create_user
from src.web.ops import OPS_ALERTS, AlertEngine
from src.web.security.passwords import hash_password
from tests.jobs.conftest import ActivityService
from tests.jobs.helpers import running_worker
from tests.support.activity import event_body
from tests.support.site_client import PASSWORD, SiteClient
from tests.web.conftest import AppFactory, app_of

OPS_TOKEN = "test-ops-token-0123456789abcdef"


def traced_event(**changes: Any) -> dict[str, Any]:
    """A fresh event whose request id is its own (see `Ops.answers`)."""
    event = event_body(**changes)
    event["request_id"] = f"rid-{event['id']}"
    return event


@dataclass
class Ops:
    """A running suite and its admin: `api()` calls the ops API with the token or the
    admin's session; `site` is the admin's browser; `pool` reads the queue directly."""

    site: SiteClient
    settings: Settings
    pool: ArqRedis
    activity: ActivityService

    @property
    def app(self) -> web.Application:
        return app_of(self.site)

    @property
    def alerts(self) -> AlertEngine:
        return self.app[OPS_ALERTS]

    async def api(
        self,
        method: str,
        path: str,
        *,
        status: int = 200,
        token: str | None = OPS_TOKEN,
        json: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Call the ops API (with the token unless `token=None`) and check the status."""
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        response = await self.site.client.request(
            method, path, json=json, data=data, headers=sent, allow_redirects=False
        )
        body = await response.json() if response.content_type == "application/json" else None
        assert response.status == status, (method, path, response.status, body)
        return body

    def answers(self, event: dict[str, Any]) -> list[int]:
        """The activity service's answer to each POST of `event` so far (201: stored, 200:
        a duplicate), found by its request id: give each event one of its own. Stored
        copies cannot tell one delivery from two (the service is idempotent); this can."""
        return [status for sent, status in self.activity.posts if sent == event["request_id"]]

    async def session_api(self, method: str, path: str, *, status: int = 200, **kwargs: Any) -> Any:
        """Call the ops API as the logged-in admin, with the session's CSRF header."""
        headers = {"X-CSRF-Token": await self.site.csrf("/")}
        return await self.api(method, path, status=status, token=None, headers=headers, **kwargs)


@pytest.fixture
async def activity(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
    settings: Settings,
    redis_url: str,
    unused_tcp_port: int,
) -> AsyncIterator[ActivityService]:
    """The real activity service on a port of its own, stoppable and restartable."""
    service = ActivityService(
        aiohttp_server, settings.model_copy(update={"redis_url": redis_url}), unused_tcp_port
    )
    await service.start()
    yield service
    if service.server is not None:
        await service.stop()


@pytest.fixture
def ops_settings(web_settings: Settings, redis_url: str, activity: ActivityService) -> Settings:
    """Settings of the whole suite: async events, quick retries, the ops token, and an
    evaluator that runs once at start (tests call `evaluate()` themselves)."""
    return web_settings.model_copy(
        update={
            "redis_url": redis_url,
            "activity_url": activity.settings.activity_url,
            "activity_mode": "async",
            "ops_token": OPS_TOKEN,
            "delivery_backoff_base": 0.05,
            "delivery_backoff_cap": 0.2,
            "alert_interval": 3600.0,
        }
    )


async def add_user(site: SiteClient, username: str, *, admin: bool) -> None:
    """Create a user straight in the database (no event), admin or not."""
    await app_of(site)[DATABASE].write(
        create_user,
        username=username,
        email=f"{username}@example.org",
        password_hash=await hash_password(PASSWORD),
        is_admin=admin,
    )


@pytest.fixture
async def make_ops(
    make_site: AppFactory, ops_settings: Settings, activity: ActivityService
) -> AsyncIterator[Callable[..., Awaitable[Ops]]]:
    """Start the web app (settings changed by keyword) with an admin `root` logged in."""
    pools: list[ArqRedis] = []

    async def make(**overrides: Any) -> Ops:
        settings = ops_settings.model_copy(update=overrides)
        site = await make_site(**settings.model_dump(include=set(overrides) | _SUITE_FIELDS))
        await add_user(site, "root", admin=True)
        assert (await site.login("root")).status == 303
        pool = await create_pool(settings)
        pools.append(pool)
        return Ops(site, settings, pool, activity)

    yield make
    for pool in pools:
        await pool.aclose()


_SUITE_FIELDS = {
    "redis_url",
    "activity_url",
    "activity_mode",
    "ops_token",
    "delivery_backoff_base",
    "delivery_backoff_cap",
    "alert_interval",
}


@pytest.fixture
async def ops(make_ops: Callable[..., Awaitable[Ops]]) -> Ops:
    """The suite with default settings and no worker."""
    return await make_ops()


@pytest.fixture
def worker(ops_settings: Settings) -> Callable[..., AbstractAsyncContextManager[Worker]]:
    """`async with worker():` runs a real arq worker of `src.jobs` in this event loop."""

    def start(settings: Settings | None = None, **overrides: Any) -> Any:
        return running_worker(settings or ops_settings, **overrides)

    return start
