"""The web app's resources, each opened and closed by one cleanup context (in this order):
the session key, the database, the HTTP client for the activity service, the job queue, the
outbox purger, the event recorder, and the outbox relay."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from aiohttp_session import session_middleware

from src.common.activity_client import ActivityClient
from src.common.secrets import activity_token, secret_key
from src.common.settings import Settings
from src.web.app_keys import (
    ACTIVITY_CLIENT,
    DATABASE,
    EVENT_QUEUE,
    EVENT_RECORDER,
    OUTBOX_PURGER,
    OUTBOX_RELAY,
    RELAY_POLICY,
    SETTINGS,
)
from src.web.database import Database
from src.web.events.purger import OutboxPurger
from src.web.events.queue import EventQueue
from src.web.events.recorder import EventRecorder
from src.web.events.relay import OutboxRelay
from src.web.instruments import WEB_METRICS
from src.web.schema import check_schema
from src.web.security.sessions import session_storage

__all__ = ["CLEANUP_CONTEXTS", "sessions_middleware"]

log = logging.getLogger(__name__)

SESSION_MIDDLEWARE: web.AppKey[Middleware] = web.AppKey("session_middleware")
ACTIVITY_TIMEOUT = 10.0


@web.middleware
async def sessions_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp-session's middleware, built at startup once the secret key is read."""
    return await request.app[SESSION_MIDDLEWARE](request, handler)


async def session_key_ctx(app: web.Application) -> AsyncIterator[None]:
    """Read (or create, in `var/`) the secret key and build the cookie storage with it."""
    app[SESSION_MIDDLEWARE] = session_middleware(session_storage(secret_key(app[SETTINGS])))
    yield


def pool_share(settings: Settings) -> int:
    """This process's share of `DATABASE_POOL_SIZE`, the connections all web processes may
    hold together (at least 2 each, so a page never waits for a connection a write holds)."""
    return max(2, settings.database_pool_size // settings.web_processes)


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    """The web database; refuses to start on a database that was not migrated."""
    settings = app[SETTINGS]
    database = Database(settings.database_url, pool_size=pool_share(settings))
    try:
        await check_schema(database)
        app[DATABASE] = database
        yield
    finally:
        await database.close()


async def activity_client_ctx(app: web.Application) -> AsyncIterator[None]:
    """One HTTP client session for the activity service (sync mode and profile pages)."""
    settings = app[SETTINGS]
    async with aiohttp.ClientSession() as session:
        app[ACTIVITY_CLIENT] = ActivityClient(
            session, settings.activity_url, activity_token(settings), timeout=ACTIVITY_TIMEOUT
        )
        yield


async def event_queue_ctx(app: web.Application) -> AsyncIterator[None]:
    """The arq pool; it connects lazily, so the app starts even when Redis is down."""
    queue = EventQueue(app[SETTINGS])
    await queue.open()
    app[EVENT_QUEUE] = queue
    try:
        yield
    finally:
        await queue.close()


async def outbox_purger_ctx(app: web.Application) -> AsyncIterator[None]:
    """The task deleting handed-over outbox rows; what is left is deleted at shutdown."""
    purger = OutboxPurger(app[DATABASE])
    app[OUTBOX_PURGER] = purger
    purger.start()
    try:
        yield
    finally:
        await purger.stop()


async def event_recorder_ctx(app: web.Application) -> AsyncIterator[None]:
    """The recorder the views use, wired to the resources opened before it."""
    app[EVENT_RECORDER] = EventRecorder(
        app[SETTINGS].activity_mode,
        app[DATABASE],
        app[EVENT_QUEUE],
        app[ACTIVITY_CLIENT],
        app[OUTBOX_PURGER],
        app[WEB_METRICS],
    )
    yield


async def outbox_relay_ctx(app: web.Application) -> AsyncIterator[None]:
    """The relay task, re-enqueueing outbox leftovers until the app stops."""
    relay = OutboxRelay(app[DATABASE], app[EVENT_QUEUE], app[RELAY_POLICY], app[WEB_METRICS])
    app[OUTBOX_RELAY] = relay
    relay.start()
    try:
        yield
    finally:
        await relay.stop()


CLEANUP_CONTEXTS = (
    session_key_ctx,
    database_ctx,
    activity_client_ctx,
    event_queue_ctx,
    outbox_purger_ctx,
    event_recorder_ctx,
    outbox_relay_ctx,
)
