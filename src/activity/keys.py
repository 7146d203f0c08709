"""Typed keys of the activity app's state (`app[STORE_KEY]`, ...)."""

from __future__ import annotations

from aiohttp import web

from src.common.settings import Settings

from .chaos import Chaos
from .instruments import ActivityMetrics
from .store import ActivityStore

__all__ = ["ACTIVITY_METRICS_KEY", "CHAOS_KEY", "SETTINGS_KEY", "STORE_KEY", "TOKEN_KEY"]

SETTINGS_KEY = web.AppKey("settings", Settings)
STORE_KEY = web.AppKey("store", ActivityStore)
CHAOS_KEY = web.AppKey("chaos", Chaos)
TOKEN_KEY = web.AppKey("token", bytes)
ACTIVITY_METRICS_KEY = web.AppKey("activity_metrics", ActivityMetrics)
