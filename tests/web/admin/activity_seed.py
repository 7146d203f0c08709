"""Events of known shape stored in the real activity service, and what the pages show of them."""

from __future__ import annotations

import asyncio
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from src.common.events import ActivityEvent
from tests.jobs.conftest import ActivityService

BASE = datetime(2026, 1, 1, tzinfo=UTC)
USERS = ((1, "alice"), (2, "bob"), (3, "carol"))
TYPES = ("post.create", "post.vote", "comment.create", "user.login")
_ROW_ID = re.compile(r"[?&]id=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
_NEXT = re.compile(r'href="([^"]+)" rel="next"')


@dataclass(frozen=True, slots=True)
class Seeded:
    """The stored events, newest first (the order every listing answers)."""

    events: list[dict[str, Any]]

    def ids(self, keep: Any = lambda event: True) -> list[str]:
        return [event["id"] for event in self.events if keep(event)]


def event_number(number: int) -> dict[str, Any]:
    """Event `number`: users, types and hours cycle; every fifth mentions a needle."""
    user_id, username = USERS[number % len(USERS)]
    needle = " with a needle" if number % 5 == 0 else ""
    return ActivityEvent.new(
        TYPES[number % len(TYPES)],
        details=f'{username} did thing {number}{needle}, "quoted", comma',
        user_id=user_id,
        username=username,
        data={"number": number, "text": 'ünïcode, "and" commas'},
        request_id=f"req-{number}",
        timestamp=BASE + timedelta(hours=number),
    ).to_json_dict()


async def seed(activity: ActivityService, count: int) -> Seeded:
    """Store `count` events (a few at a time) and answer them as the service keeps them."""
    stored: list[dict[str, Any]] = []
    for first in range(0, count, 25):
        batch = [event_number(n) for n in range(first, min(count, first + 25))]
        deliveries = await asyncio.gather(*(activity.call("post_event", e) for e in batch))
        stored += [delivery.event for delivery in deliveries]
    stored.sort(key=lambda event: (event["timestamp"], event["id"]), reverse=True)
    return Seeded(stored)


def listed_ids(page: str) -> list[str]:
    """The ids of the events a browser page lists, in order (each row links to its event)."""
    return _ROW_ID.findall(html.unescape(page))


def next_link(page: str) -> str | None:
    """The next-page link of a browser page, or None on the last page."""
    match = _NEXT.search(page)
    return html.unescape(match.group(1)) if match else None
