"""One user of the site, driven through its forms as a browser would: cookies, CSRF tokens.

Each action is one real form POST carrying the session's CSRF token and an `X-Request-ID` of
our own, timed from sending the request until its `303 See Other` has arrived (the redirect
is not followed: the page after it is the same whatever ACTIVITY_MODE is). The event the
action produces carries that request id, which is how the benchmark finds it in the activity
service later.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass

import aiohttp

__all__ = ["ActionFailed", "Outcome", "SiteUser"]

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "bench password 1"  # noqa: S105 (throwaway users of a throwaway database)
TIMEOUT = aiohttp.ClientTimeout(total=60)


class ActionFailed(RuntimeError):
    """The site did not answer an action with `303 See Other`."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one timed action gave: its request id, seconds taken, and where it redirected."""

    request_id: str
    seconds: float
    location: str


class SiteUser:
    """A user with their own cookie jar, on one keep-alive connection."""

    def __init__(self, base_url: str, name: str) -> None:
        self.base_url = base_url
        self.name = name
        self.session = aiohttp.ClientSession(
            base_url,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=aiohttp.TCPConnector(limit=1),
            timeout=TIMEOUT,
        )
        self.token = ""

    async def refresh_token(self, path: str = "/submit") -> None:
        """Read the session's CSRF token from a form page (a new session has a new one)."""
        async with self.session.get(path) as response:
            match = CSRF.search(await response.text())
        if match is None:
            raise ActionFailed(f"{self.name}: no form with a CSRF token on {path}")
        self.token = match.group(1)

    async def _post(self, path: str, fields: dict[str, str]) -> Outcome:
        request_id = uuid.uuid4().hex
        headers = {"X-Request-ID": request_id}
        data = {**fields, "csrf_token": self.token}
        started = time.perf_counter()
        async with self.session.post(
            path, data=data, headers=headers, allow_redirects=False
        ) as response:
            await response.read()
        seconds = time.perf_counter() - started
        if response.status != 303:
            raise ActionFailed(f"{self.name}: POST {path} answered {response.status}")
        return Outcome(request_id, seconds, response.headers.get("Location", ""))

    async def register(self) -> Outcome:
        """Create the account (logged in afterwards) and read the new session's token."""
        await self.refresh_token("/register")
        outcome = await self._post(
            "/register",
            {"username": self.name, "email": f"{self.name}@bench.invalid",
             "password": PASSWORD, "password2": PASSWORD},
        )  # fmt: skip
        await self.refresh_token()
        return outcome

    async def log_in(self) -> Outcome:
        """Log in again (a brand-new session), then read its token (not timed)."""
        if not self.token:
            await self.refresh_token("/login")
        outcome = await self._post("/login", {"username": self.name, "password": PASSWORD})
        await self.refresh_token()
        return outcome

    async def submit(self, title: str, body: str, category: str) -> tuple[Outcome, int]:
        """A new post; also answers its id."""
        fields = {"title": title, "body": body, "category": category}
        outcome = await self._post("/submit", fields)
        return outcome, int(outcome.location.rstrip("/").rsplit("/", 1)[1])

    async def comment(self, post_id: int, body: str) -> Outcome:
        """A comment on a post."""
        return await self._post(f"/p/{post_id}/comment", {"body": body})

    async def vote(self, post_id: int, direction: str) -> Outcome:
        """Click an arrow (the same arrow twice takes the vote back)."""
        return await self._post(f"/p/{post_id}/vote", {"direction": direction})

    async def close(self) -> None:
        """Close the user's connection."""
        await self.session.close()
