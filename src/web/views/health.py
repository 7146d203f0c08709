"""`/healthz`: whether this web process can serve (its database answers), as JSON; and
`/metrics`, the Prometheus text."""

from __future__ import annotations

import logging
import os

from aiohttp import web

from src.common.metrics import HTTP_METRICS
from src.web.app_keys import DATABASE, EVENT_QUEUE, SETTINGS
from src.web.data import outbox
from src.web.instruments import WEB_METRICS

__all__ = ["healthz", "metrics"]

log = logging.getLogger(__name__)


async def healthz(request: web.Request) -> web.Response:
    """200 `{"status": "ok", ...}` when the database answers, else 503.

    Redis being down does not make the web app unhealthy: events wait in the outbox
    (`outbox` counts them) and `queue` says `unreachable`. `pid` says which of the web
    processes (WEB_PROCESSES) answered.
    """
    database = request.app[DATABASE]
    body: dict[str, object] = {
        "status": "ok",
        "pid": os.getpid(),
        "database": database.dialect,
        "activity_mode": request.app[SETTINGS].activity_mode,
        "queue": await request.app[EVENT_QUEUE].state(),
    }
    try:
        body["outbox"] = await database.read(outbox.count)
    except Exception as exc:
        log.warning("health check: database unavailable: %s", exc)
        body.update(status="unavailable", error=f"database: {exc.__class__.__name__}")
        return web.json_response(body, status=503)
    return web.json_response(body)


async def metrics(request: web.Request) -> web.StreamResponse:
    """`GET /metrics`: the outbox backlog is counted now, then everything is rendered."""
    try:
        request.app[WEB_METRICS].outbox_backlog.set(await request.app[DATABASE].read(outbox.count))
    except Exception as exc:
        log.warning("/metrics: outbox backlog not counted: %s", exc)
    return await request.app[HTTP_METRICS].handler(request)
