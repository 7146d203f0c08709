"""`/healthz`: whether this web process can serve (its database answers), as JSON."""

from __future__ import annotations

import logging
import os

from aiohttp import web

from ..data import outbox
from ..keys import DATABASE, EVENT_QUEUE, SETTINGS

__all__ = ["healthz"]

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
