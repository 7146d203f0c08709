"""Hooks the rest of the web app calls so event-raised alert rules see what happens."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from src.web.ops.app_keys import OPS_ALERTS

__all__ = ["note_failed_login"]

log = logging.getLogger(__name__)

SIGNAL_TIMEOUT = 2.0


async def note_failed_login(app: web.Application, username: str) -> None:
    """Count a failed login for the `login_failures` rule; never fails the login answer."""
    alerts = app.get(OPS_ALERTS)
    if alerts is None or not username:
        return
    try:
        async with asyncio.timeout(SIGNAL_TIMEOUT):
            await alerts.failed_login(username)
    except Exception as exc:
        log.warning("could not count the failed login for the alerts: %s", exc)
