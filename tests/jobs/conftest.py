"""Fixtures of the jobs tests: settings on the test's Redis, an arq pool, and a real activity
service (`src.activity.create_app`, in-process) that tests stop and start."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiohttp.typedefs import Handler
from arq.connections import ArqRedis
from arq.worker import Worker

from src.activity import create_app
from src.common.activity_client import ActivityClient
from src.common.settings import Settings
from src.jobs import create_pool
from src.jobs.queue.connections import producer_pool
from src.jobs.worker.woken_worker import WolfitWorker
from tests.conftest import TEST_TOKEN
from tests.jobs.helpers import CountingConnection

ServerFactory = Callable[..., Awaitable[TestServer]]


@pytest.fixture
def jobs_settings(settings: Settings, redis_url: str) -> Settings:
    """The test settings with `REDIS_URL` on the session Redis (emptied for the test)."""
    return settings.model_copy(update={"redis_url": redis_url})


@pytest.fixture(params=[Worker, WolfitWorker], ids=["arq", "wolfit"])
def worker_class(request: pytest.FixtureRequest) -> type[Worker]:
    """Each worker kind: stock arq (`arq src.jobs.WorkerSettings`) and the woken worker
    (`wolfit worker`); tests that take this fixture run once with each."""
    worker: type[Worker] = request.param
    return worker


@pytest.fixture
async def pool(jobs_settings: Settings) -> AsyncIterator[ArqRedis]:
    """The producer's arq pool on the session Redis."""
    redis = await create_pool(jobs_settings)
    yield redis
    await redis.aclose()


@pytest.fixture
async def counting_pool(redis_url: str) -> AsyncIterator[ArqRedis]:
    """A producer pool on the session Redis whose connections count round trips and bytes
    read (`CountingConnection`), connected before the test counts."""
    redis = producer_pool(redis_url, connection_class=CountingConnection)
    await redis.ping()  # connect (and say hello) before counting
    yield redis
    await redis.aclose()


class ActivityService:
    """The real activity service on a fixed port, stoppable and restartable on its database.

    `posts` records each `POST /api/activities` it answered: (X-Request-ID, status).
    """

    def __init__(self, factory: ServerFactory, settings: Settings, port: int) -> None:
        self._factory = factory
        self.port = port
        self.settings = settings.model_copy(
            update={"activity_url": f"http://127.0.0.1:{port}", "activity_token": TEST_TOKEN}
        )
        self.server: TestServer | None = None
        self.posts: list[tuple[str | None, int | None]] = []

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        status: int | None = None  # stays None when the POST is cancelled (client gone)
        try:
            response = await handler(request)
            status = response.status
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            if request.method == "POST" and request.path == "/api/activities":
                self.posts.append((request.headers.get("X-Request-ID"), status))
        return response

    def app(self, **chaos: float) -> web.Application:
        app = create_app(self.settings.model_copy(update=chaos))
        app.middlewares.insert(0, self._record)
        return app

    async def start(self, app: web.Application | None = None, **chaos: float) -> None:
        """Serve (again) on the same port and database; `sleep_time`, `fail_rate` optional.

        `app` is one of `self.app()` that a test changed (an extra middleware in front)."""
        assert self.server is None, "already running"
        self.server = await self._factory(app or self.app(**chaos), port=self.port)

    async def stop(self) -> None:
        """Stop answering: clients now get connection refused."""
        assert self.server is not None, "not running"
        await self.server.close()
        self.server = None

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call one `ActivityClient` method on this service."""
        async with aiohttp.ClientSession() as session:
            client = ActivityClient(session, self.settings.activity_url, TEST_TOKEN)
            return await getattr(client, method)(*args, **kwargs)

    async def stored(self) -> list[dict[str, Any]]:
        """Every stored event as the API answers it (with `received_at`), all pages."""
        items: list[dict[str, Any]] = []
        cursor = None
        async with aiohttp.ClientSession() as session:
            client = ActivityClient(session, self.settings.activity_url, TEST_TOKEN)
            while True:
                page = await client.list_activities(limit=200, cursor=cursor)
                items += page["items"]
                cursor = page["next_cursor"]
                if cursor is None:
                    return items

    async def stored_ids(self) -> list[str]:
        """The id of every stored event (one entry per stored copy), all pages."""
        return [item["id"] for item in await self.stored()]


@pytest.fixture
async def activity(
    aiohttp_server: ServerFactory, jobs_settings: Settings, unused_tcp_port: int
) -> AsyncIterator[ActivityService]:
    """The activity service, running; `activity.settings` are the suite's settings for it."""
    service = ActivityService(aiohttp_server, jobs_settings, unused_tcp_port)
    await service.start()
    yield service
    if service.server is not None:
        await service.stop()
