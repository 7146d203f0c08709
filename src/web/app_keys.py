"""Typed keys of everything the web app keeps in its application and request state."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from src.common.activity_client import ActivityClient
from src.common.settings import Settings
from src.web.data.users import UserRecord
from src.web.database import Database
from src.web.events.purger import OutboxPurger
from src.web.events.queue import EventQueue
from src.web.events.recorder import EventRecorder
from src.web.events.relay import OutboxRelay, RelayPolicy

__all__ = [
    "ACTIVITY_CLIENT",
    "CURRENT_USER",
    "DATABASE",
    "EVENT_QUEUE",
    "EVENT_RECORDER",
    "OUTBOX_PURGER",
    "OUTBOX_RELAY",
    "RELAY_POLICY",
    "SETTINGS",
    "Viewer",
]

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
ACTIVITY_CLIENT = web.AppKey("activity_client", ActivityClient)
EVENT_QUEUE = web.AppKey("event_queue", EventQueue)
OUTBOX_PURGER = web.AppKey("outbox_purger", OutboxPurger)
EVENT_RECORDER = web.AppKey("event_recorder", EventRecorder)
RELAY_POLICY = web.AppKey("relay_policy", RelayPolicy)
OUTBOX_RELAY = web.AppKey("outbox_relay", OutboxRelay)


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking: the logged-in user, or None for a visitor."""

    user: UserRecord | None


# The viewer of a request, loaded once per request.
CURRENT_USER = web.RequestKey("current_user", Viewer)
