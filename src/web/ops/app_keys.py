"""Typed keys of what the ops package keeps in the application and request state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from src.web.ops.alerts.engine import AlertEngine
from src.web.ops.service import OpsService

__all__ = ["OPS_ALERTS", "OPS_PRINCIPAL", "OPS_SERVICE", "Principal"]

OPS_SERVICE = web.AppKey("ops_service", OpsService)
OPS_ALERTS = web.AppKey("ops_alerts", AlertEngine)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is operating: an admin by session (`name` is the username) or the OPS_TOKEN."""

    via: Literal["session", "token"]
    name: str


# Set by the ops guard on every request it lets through to /admin or /api/ops.
OPS_PRINCIPAL = web.RequestKey("ops_principal", Principal)
