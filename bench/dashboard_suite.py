"""The suite the admin pages are measured on (`python -m bench dashboard` and `export-memory`):
Redis, the activity service and web, but no worker, so that a queue filled before measuring
stays as long as it was (as during an incident); events are stored straight into the
activity store, and one admin logs in with a throwaway password.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from typing import Any

import aiohttp

from bench.dashboard_fill import fill_events
from bench.suite import LocalSuite, ServiceFailed

__all__ = ["DashboardSuite", "add_admin", "log_in"]

ADMIN = "bench-admin"
# Throwaway credentials of the benchmark's own short-lived suite.
PASSWORD = secrets.token_hex(16)


class DashboardSuite(LocalSuite):
    """The benchmark suite: Redis, the activity service and web, but no worker."""

    _activity: Any = None

    async def start(self) -> None:
        """Start Redis, migrate the web database and start the activity service (no worker)."""
        await asyncio.to_thread(self.redis.start)
        migrate = await self._spawn("migrate", "migrate", place=self.placement.background)
        if await migrate.process.wait() != 0:
            raise ServiceFailed(f"wolfit migrate failed; see {migrate.log_path}")
        await self.start_activity()

    async def start_activity(self) -> None:
        self._activity = await self._spawn("activity", "activity", place=self.placement.background)
        await self._wait_healthy(self._activity, f"{self.activity_url}/healthz")

    async def stop_activity(self) -> None:
        if self._activity is not None:
            await self._activity.stop()
            self._children.remove(self._activity)
            self._activity = None

    async def store_events(self, events: int) -> None:
        """Store `events` events straight into the activity store, with the activity service
        stopped meanwhile and started again after; prints how long it took."""
        await self.stop_activity()
        started = time.perf_counter()
        await asyncio.to_thread(fill_events, self.workdir / "activity.sqlite3", events)
        print(f"stored {events} events in {time.perf_counter() - started:.1f} s")
        await self.start_activity()


async def add_admin(database_url: str) -> None:
    """Create the admin user `ADMIN` in the web database at `database_url`."""
    from src.web.data.users import create_user
    from src.web.database import Database
    from src.web.security.passwords import hash_password

    database = Database(database_url)
    try:
        await database.write(
            create_user,
            username=ADMIN,
            email=f"{ADMIN}@example.org",
            password_hash=await hash_password(PASSWORD),
            is_admin=True,
        )
    finally:
        await database.close()


async def log_in(session: aiohttp.ClientSession, base_url: str) -> None:
    """Log `session` in as the admin (its cookie jar then holds the session)."""
    async with session.get(f"{base_url}/login") as response:
        match = re.search(r'name="csrf_token" value="([^"]+)"', await response.text())
    if match is None:
        raise RuntimeError("no CSRF token on the login page")
    form = {"username": ADMIN, "password": PASSWORD, "csrf_token": match.group(1)}
    async with session.post(f"{base_url}/login", data=form, allow_redirects=False) as response:
        if response.status != 303:
            raise RuntimeError(f"admin login failed: HTTP {response.status}")
