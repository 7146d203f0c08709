"""The operator area of the web app: the admin guard, the ops service layer, the ops JSON
API, and alerts (docs/ops-api.md, docs/dashboard.md). The dashboard's HTML pages build on
the same service.

Public names:

- `setup_ops(app)`: the guard's middleware is added by `create_app`; this adds the ops API's
  routes and the cleanup context that opens the service and the alert engine.
- `ops_guard_middleware`, `Principal`, `OPS_PRINCIPAL` (who is operating, per request).
- `OpsService` (`OPS_SERVICE` in the app, `ops_service(request)`), its errors (`OpsError`,
  `OpsBadRequest`, `OpsNotFound`, `OpsConflict`, `OpsUnsupportedMediaType`,
  `OpsUnavailable`) and `JOB_STATUSES`.
- `parse_json`, `read_json`: operators' JSON (bodies, form fields) read as 4xx, never a 500.
- `AlertEngine` (`OPS_ALERTS`; absent without `REDIS_URL`), `Alert`, `ALERT_KINDS`.
- `ALLOWED_JOBS`: the allow-list of jobs an operator may enqueue.
- `note_failed_login(app, username)`: the login view's hook for the `login_failures` rule.
"""

from __future__ import annotations

from aiohttp import web

from src.web.ops.alerts.engine import AlertEngine
from src.web.ops.alerts.store import ALERT_KINDS, Alert
from src.web.ops.api import ops_service, setup_api_routes
from src.web.ops.app_keys import OPS_ALERTS, OPS_PRINCIPAL, OPS_SERVICE, Principal
from src.web.ops.bodies import parse_json, read_json
from src.web.ops.enqueue import ALLOWED_JOBS
from src.web.ops.errors import (
    OpsBadRequest,
    OpsConflict,
    OpsError,
    OpsNotFound,
    OpsUnavailable,
    OpsUnsupportedMediaType,
)
from src.web.ops.guard import ADMIN_PREFIX, OPS_API_PREFIX, ops_guard_middleware
from src.web.ops.resources import WEBHOOK_POLICY, ops_ctx
from src.web.ops.service import JOB_STATUSES, OpsService
from src.web.ops.signals import note_failed_login

__all__ = [
    "ADMIN_PREFIX",
    "ALERT_KINDS",
    "ALLOWED_JOBS",
    "JOB_STATUSES",
    "OPS_ALERTS",
    "OPS_API_PREFIX",
    "OPS_PRINCIPAL",
    "OPS_SERVICE",
    "WEBHOOK_POLICY",
    "Alert",
    "AlertEngine",
    "OpsBadRequest",
    "OpsConflict",
    "OpsError",
    "OpsNotFound",
    "OpsService",
    "OpsUnavailable",
    "OpsUnsupportedMediaType",
    "Principal",
    "note_failed_login",
    "ops_guard_middleware",
    "ops_service",
    "parse_json",
    "read_json",
    "setup_ops",
]


def setup_ops(app: web.Application) -> None:
    """Add the ops API's routes and the ops resources (after the app's own resources)."""
    setup_api_routes(app)
    app.cleanup_ctx.append(ops_ctx)
