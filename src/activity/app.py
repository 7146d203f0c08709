"""The activity service's application factory: routes, middlewares, state, resources."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from aiohttp import web

from src.activity import api
from src.activity.app_keys import (
    ACTIVITY_METRICS,
    CHAOS,
    CLOCK,
    SETTINGS,
    STORE,
    TOKEN,
    Clock,
)
from src.activity.bodies import MAX_BODY_BYTES
from src.activity.chaos import Chaos
from src.activity.instruments import ActivityMetrics
from src.activity.middlewares import auth_middleware, error_middleware
from src.activity.store import ActivityStore, store_from_url
from src.common.metrics import HTTP_METRICS, HttpMetrics
from src.common.middleware import request_id_middleware
from src.common.settings import Settings

__all__ = ["create_app"]


def create_app(
    settings: Settings, *, store: ActivityStore | None = None, clock: Clock | None = None
) -> web.Application:
    """The activity service for `settings`, on `store` or the one `ACTIVITY_DB_URL` names.

    No I/O here: the store opens when the app starts and closes when it stops (the app
    owns it, also when given). `settings.activity_token` must be set; `wolfit activity`
    fills it in from `var/` when the environment does not. `clock` (the system's by
    default) lets tests fix the time that stats windows end at.
    """
    if not settings.activity_token:
        raise ValueError("create_app needs settings.activity_token (ACTIVITY_TOKEN)")
    metrics = HttpMetrics()
    app = web.Application(
        middlewares=[request_id_middleware, metrics.middleware, error_middleware, auth_middleware],
        client_max_size=MAX_BODY_BYTES,
    )
    app[SETTINGS] = settings
    app[TOKEN] = settings.activity_token.encode()
    app[CHAOS] = Chaos(sleep_time=settings.sleep_time, fail_rate=settings.fail_rate)
    app[CLOCK] = clock or _now
    app[HTTP_METRICS] = metrics
    app[ACTIVITY_METRICS] = ActivityMetrics(metrics.registry)
    app.cleanup_ctx.append(_store_context(store))
    _add_routes(app.router, metrics)
    return app


def _now() -> datetime:
    return datetime.now(UTC)


def _add_routes(router: web.UrlDispatcher, metrics: HttpMetrics) -> None:
    router.add_post("/api/activities", api.post_activity, name="activities.post")
    router.add_get("/api/activities", api.list_activities, name="activities.list")
    router.add_get("/api/activities/{id}", api.get_activity, name="activity")
    router.add_get("/api/stats", api.get_stats, name="stats")
    router.add_get("/api/chaos", api.get_chaos, name="chaos.get")
    router.add_put("/api/chaos", api.put_chaos, name="chaos.put")
    router.add_get("/api/openapi.json", api.get_openapi, name="openapi")
    router.add_get("/healthz", api.healthz, name="healthz")
    router.add_get("/metrics", metrics.handler, name="metrics")


def _store_context(
    given: ActivityStore | None,
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def store_context(app: web.Application) -> AsyncIterator[None]:
        store = given or store_from_url(app[SETTINGS].activity_db_url)
        await store.open()
        app[STORE] = store
        try:
            yield
        finally:
            await store.close()

    return store_context
