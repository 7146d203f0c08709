"""The ops package's resources, opened and closed by one cleanup context: a Redis pool of
its own for the queue (so the producer's pool never waits behind a dashboard listing), the
alert engine with its evaluator, log and webhook sender, and the ops service."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from src.jobs import create_pool
from src.web.app_keys import ACTIVITY_CLIENT, DATABASE, SETTINGS
from src.web.ops.alerts.engine import AlertEngine
from src.web.ops.alerts.notify import AlertLog, WebhookPolicy, WebhookSender
from src.web.ops.app_keys import OPS_ALERTS, OPS_SERVICE
from src.web.ops.service import OpsService

__all__ = ["ALERTS_LOG", "WEBHOOK_POLICY", "ops_ctx"]

ALERTS_LOG = "alerts.log"
# Tests shorten the webhook's timeouts and backoff through this key.
WEBHOOK_POLICY = web.AppKey("ops_webhook_policy", WebhookPolicy)


async def ops_ctx(app: web.Application) -> AsyncIterator[None]:
    """The ops service and, with `REDIS_URL`, the alert engine running in the background."""
    settings = app[SETTINGS]
    if not settings.redis_url:
        app[OPS_SERVICE] = OpsService(None, app[DATABASE])
        yield
        return
    pool = await create_pool(settings)
    webhook = None
    if settings.alert_webhook_url:
        webhook = WebhookSender(settings.alert_webhook_url, app.get(WEBHOOK_POLICY))
    engine = AlertEngine(
        pool,
        settings,
        alert_log=AlertLog(settings.var_dir / ALERTS_LOG),
        webhook=webhook,
        activity=app[ACTIVITY_CLIENT],
    )
    app[OPS_ALERTS] = engine
    app[OPS_SERVICE] = OpsService(pool, app[DATABASE], engine.store)
    await engine.start()
    try:
        yield
    finally:
        await engine.stop()
        await pool.aclose()
