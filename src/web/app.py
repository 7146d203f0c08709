"""The application factory of Wolfit, the web app."""

from __future__ import annotations

from aiohttp import web

from src.common.metrics import HTTP_METRICS, HttpMetrics
from src.common.middleware import request_id_middleware
from src.common.settings import Settings
from src.web.admin import setup_admin
from src.web.app_keys import RELAY_POLICY, SETTINGS
from src.web.events.relay import RelayPolicy
from src.web.instruments import WEB_METRICS, WebMetrics
from src.web.ops import ops_guard_middleware, setup_ops
from src.web.pages import error_pages_middleware
from src.web.resources import CLEANUP_CONTEXTS, sessions_middleware
from src.web.routes import setup_routes
from src.web.security.csrf import csrf_middleware
from src.web.security.headers import security_headers_middleware
from src.web.templating import setup_templates

__all__ = ["create_app"]

MAX_REQUEST_BODY = 1024 * 1024


def create_app(settings: Settings, *, relay_policy: RelayPolicy | None = None) -> web.Application:
    """The web app for `settings`; nothing is opened until the app starts.

    `relay_policy` tunes the outbox relay (tests make it quick); the default suits production.
    """
    metrics = HttpMetrics()
    app = web.Application(
        middlewares=[
            request_id_middleware,
            metrics.middleware,
            security_headers_middleware,
            sessions_middleware,
            error_pages_middleware,
            ops_guard_middleware,
            csrf_middleware,
        ],
        client_max_size=MAX_REQUEST_BODY,
    )
    app[SETTINGS] = settings
    app[RELAY_POLICY] = relay_policy or RelayPolicy()
    app[HTTP_METRICS] = metrics
    app[WEB_METRICS] = WebMetrics(metrics.registry)
    setup_templates(app)
    setup_routes(app)
    app.cleanup_ctx.extend(CLEANUP_CONTEXTS)
    setup_ops(app)
    setup_admin(app)
    return app
