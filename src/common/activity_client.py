"""A typed client of the activity service's HTTP API (docs/activity-api.md), for web and worker.

Errors, from the caller's point of view::

    ActivityError                 the activity service did not do what was asked
    ├── ActivityUnavailable       connection refused or reset, timeout, 408, 429 or 5xx:
    │                             worth retrying later (`retry_after` when the service said)
    └── ActivityRejected          any other 4xx: the request itself is wrong; retrying
                                  the same request cannot help (`status`, `body`)

`post_event` answers a `Delivery` for 2xx (201 stored, 200 already stored) and raises one of
the two otherwise, which is exactly the split the worker's retry policy needs.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from src.common.middleware import REQUEST_ID_HEADER

__all__ = [
    "ActivityClient",
    "ActivityError",
    "ActivityRejected",
    "ActivityUnavailable",
    "Delivery",
    "Health",
]

RETRYABLE_STATUSES = frozenset({408, 429})


class ActivityError(Exception):
    """The activity service did not do what was asked."""

    def __init__(self, message: str, *, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class ActivityUnavailable(ActivityError):
    """Unreachable, too slow, or answering 408, 429 or 5xx: try again later."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, body=body)
        self.retry_after = retry_after


class ActivityRejected(ActivityError):
    """A 4xx other than 408 and 429: the request is wrong and retrying cannot help."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """An event the service holds: `created` is False when it already had this id."""

    created: bool
    event: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Health:
    """One look at `/healthz`: whether the service and its store answer, and how fast."""

    ok: bool
    latency: float
    detail: dict[str, Any]
    error: str | None = None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


async def _body(response: aiohttp.ClientResponse) -> Any:
    try:
        return await response.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        return await response.text(errors="replace")


class ActivityClient:
    """Calls the activity API at `base_url` with the bearer token, over a shared session.

    The session belongs to the caller (one per process, opened in a cleanup context or in
    the worker's `on_startup`); the client only borrows it.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        token: str,
        *,
        timeout: float = 10.0,
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        request_id: str | None = None,
    ) -> tuple[int, Any]:
        headers = dict(self._headers)
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        url = self.base_url + path
        try:
            async with self.session.request(
                method, url, json=json, params=params, headers=headers, timeout=self.timeout
            ) as response:
                body = await _body(response)
                status = response.status
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
        except TimeoutError as exc:
            raise ActivityUnavailable(f"{method} {url}: no answer in time") from exc
        except aiohttp.ClientError as exc:
            raise ActivityUnavailable(f"{method} {url}: {exc.__class__.__name__}: {exc}") from exc
        if status < 400:
            return status, body
        message = f"{method} {url}: HTTP {status}"
        if isinstance(body, dict) and "error" in body:
            message += f": {body['error']}"
        if status >= 500 or status in RETRYABLE_STATUSES:
            raise ActivityUnavailable(message, status=status, body=body, retry_after=retry_after)
        raise ActivityRejected(message, status=status, body=body)

    async def post_event(self, event: dict[str, Any], *, request_id: str | None = None) -> Delivery:
        """Store one event (idempotent on its `id`); `request_id` defaults to the event's."""
        status, body = await self._request(
            "POST",
            "/api/activities",
            json=event,
            request_id=request_id or event.get("request_id"),
        )
        return Delivery(created=status == 201, event=body)

    async def list_activities(self, **filters: str | int | None) -> dict[str, Any]:
        """One page of stored events, newest first: `{"items": [...], "next_cursor": ...}`.

        Filters are those of the API (`user_id`, `username`, `type`, `since`, `until`, `q`,
        `limit`, `cursor`); None means not given, so `cursor=page["next_cursor"]` just works.
        """
        params = {key: str(value) for key, value in filters.items() if value is not None}
        _, body = await self._request("GET", "/api/activities", params=params)
        return dict(body)

    async def get_activity(self, event_id: str) -> dict[str, Any] | None:
        """One stored event, or None when the service has no event with this id.

        Event ids are UUIDs: any other text (`../stats`) names no event, and is answered
        None without a request, so it can never reach another route.
        """
        try:
            canonical = str(uuid.UUID(event_id))
        except ValueError:
            return None
        try:
            _, body = await self._request("GET", f"/api/activities/{canonical}")
        except ActivityRejected as exc:
            if exc.status == 404:
                return None
            raise
        return dict(body)

    async def stats(self, minutes: int = 60) -> dict[str, Any]:
        """Counts per type and per minute over the last `minutes`."""
        _, body = await self._request("GET", "/api/stats", params={"minutes": str(minutes)})
        return dict(body)

    async def chaos(self) -> dict[str, Any]:
        """The service's current simulated latency and failure rate (`GET /api/chaos`)."""
        _, body = await self._request("GET", "/api/chaos")
        return dict(body)

    async def set_chaos(
        self, *, sleep_time: float | None = None, fail_rate: float | None = None
    ) -> dict[str, Any]:
        """Change the service's simulated latency and failure rate; answers the new values."""
        payload = {
            key: value
            for key, value in (("sleep_time", sleep_time), ("fail_rate", fail_rate))
            if value is not None
        }
        _, body = await self._request("PUT", "/api/chaos", json=payload)
        return dict(body)

    async def health(self) -> Health:
        """Whether `/healthz` answers 200, with its latency; never raises."""
        started = time.perf_counter()
        try:
            _, body = await self._request("GET", "/healthz")
        except ActivityError as exc:
            detail = exc.body if isinstance(exc.body, dict) else {}
            return Health(False, time.perf_counter() - started, detail, str(exc))
        return Health(True, time.perf_counter() - started, dict(body))
