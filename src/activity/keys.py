"""Typed keys of the activity app's state (`app[STORE_KEY]`, ...)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from src.common.settings import Settings

from .chaos import Chaos
from .instruments import ActivityMetrics
from .store import ActivityStore

__all__ = [
    "ACTIVITY_METRICS_KEY",
    "CHAOS_KEY",
    "CLOCK_KEY",
    "SETTINGS_KEY",
    "STORE_KEY",
    "TOKEN_KEY",
    "Clock",
]

Clock = Callable[[], datetime]
"""The current time, UTC-aware: `GET /api/stats` windows end at its minute."""

SETTINGS_KEY = web.AppKey("settings", Settings)
STORE_KEY = web.AppKey("store", ActivityStore)
CHAOS_KEY = web.AppKey("chaos", Chaos)
TOKEN_KEY = web.AppKey("token", bytes)
ACTIVITY_METRICS_KEY = web.AppKey("activity_metrics", ActivityMetrics)
CLOCK_KEY: web.AppKey[Clock] = web.AppKey("clock")
