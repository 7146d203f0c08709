"""Where alerts go once raised or resolved: `var/alerts.log` (JSON lines) and the webhook.

The log line is written at once (an append of one short line). The webhook gets the same
payload from a background sender: a bounded queue, one POST at a time with a timeout, retried
with exponential backoff; a webhook that hangs or fails only delays the webhook's own later
messages, never the evaluation of rules or a request. Payload::

    {"event": "alert.raised" | "alert.resolved", "alert": {id, kind, subject, message,
     raised_at, resolved_at, details, state}, "sent_at": "...", "source": "wolfit"}
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from src.common.backoff import Backoff
from src.common.tasks import stop_task
from src.web.ops.alerts.store import Alert

__all__ = ["AlertLog", "WebhookPolicy", "WebhookSender", "alert_payload"]

log = logging.getLogger(__name__)


def alert_payload(event: str, alert: Alert) -> dict[str, Any]:
    """What the log line and the webhook carry for `event` (`raised` or `resolved`)."""
    return {
        "event": f"alert.{event}",
        "alert": alert.to_dict(),
        "sent_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "source": "wolfit",
    }


class AlertLog:
    """Appends one JSON line per raised or resolved alert to a file (`var/alerts.log`)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, payload: dict[str, Any]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as file:
                file.write(json.dumps(payload, separators=(",", ":")) + "\n")
        except OSError as exc:
            log.error("could not append to %s: %s", self.path, exc)


@dataclass(frozen=True, slots=True)
class WebhookPolicy:
    """How hard the sender tries: per-POST timeout, tries, backoff, queue size."""

    timeout: float = 5.0
    tries: int = 5
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    queue_size: int = 1000


class WebhookSender:
    """POSTs alert payloads to `url` from a background task (see the module doc)."""

    def __init__(self, url: str, policy: WebhookPolicy | None = None) -> None:
        self.url = url
        self.policy = policy or WebhookPolicy()
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self.policy.queue_size)
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.sent = 0
        self.dropped = 0

    def send(self, payload: dict[str, Any]) -> None:
        """Queue `payload`; never waits. When the queue is full the oldest is dropped."""
        if self._queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self._queue.get_nowait()
                self.dropped += 1
                log.warning("alert webhook queue full: dropped the oldest alert")
        self._queue.put_nowait(payload)

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.policy.timeout)
        )
        self._task = asyncio.create_task(self._run(), name="alert webhook")

    async def stop(self) -> None:
        if self._task is not None:
            await stop_task(self._task)
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        while True:
            payload = await self._queue.get()
            await self._deliver(payload)

    async def _deliver(self, payload: dict[str, Any]) -> None:
        assert self._session is not None
        policy = self.policy
        for attempt in range(1, policy.tries + 1):
            try:
                async with asyncio.timeout(policy.timeout):
                    async with self._session.post(self.url, json=payload) as response:
                        if response.status < 300:
                            self.sent += 1
                            return
                        error = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                error = str(exc) or type(exc).__name__
            if attempt == policy.tries:
                log.error(
                    "alert webhook %s gave up after %d tries (%s): %s",
                    self.url,
                    attempt,
                    error,
                    payload["alert"]["message"],
                )
                return
            delay = Backoff(policy.backoff_base, policy.backoff_cap).ceiling(attempt)
            log.warning("alert webhook try %d failed (%s); again in %.1fs", attempt, error, delay)
            await asyncio.sleep(delay)
