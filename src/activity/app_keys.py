"""Typed keys of the activity app's state (`app[STORE]`, ...)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from src.activity.chaos import Chaos
from src.activity.instruments import ActivityMetrics
from src.activity.store import ActivityStore
from src.common.settings import Settings

__all__ = [
    "ACTIVITY_METRICS",
    "CHAOS",
    "CLOCK",
    "SETTINGS",
    "STORE",
    "TOKEN",
    "Clock",
]

Clock = Callable[[], datetime]
"""The current time, UTC-aware: `GET /api/stats` windows end at its minute."""

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", ActivityStore)
CHAOS = web.AppKey("chaos", Chaos)
TOKEN = web.AppKey("token", bytes)
ACTIVITY_METRICS = web.AppKey("activity_metrics", ActivityMetrics)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
