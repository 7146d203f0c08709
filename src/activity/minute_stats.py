"""The `GET /api/stats` answer: counts per type and per minute, every minute present."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from src.activity.store import MinuteCount
from src.common.events import format_timestamp

__all__ = ["minute_stats"]


def minute_stats(counts: list[MinuteCount], since: datetime, minutes: int) -> dict[str, Any]:
    """`counts` of the window of `minutes` whole minutes from `since`, shaped for charts.

    Minutes without events are listed with zero counts, so a chart needs no gap filling.
    """
    by_type: Counter[str] = Counter()
    per_minute: dict[str, Counter[str]] = {}
    for count in counts:
        by_type[count.type] += count.count
        per_minute.setdefault(count.minute, Counter())[count.type] += count.count
    by_minute = []
    for offset in range(minutes):
        start = since + timedelta(minutes=offset)
        types = per_minute.get(format_timestamp(start)[:16], Counter())
        by_minute.append(
            {
                "minute": start.isoformat(),
                "count": sum(types.values()),
                "by_type": dict(sorted(types.items())),
            }
        )
    return {
        "minutes": minutes,
        "since": since.isoformat(),
        "until": (since + timedelta(minutes=minutes)).isoformat(),
        "total": sum(by_type.values()),
        "by_type": dict(sorted(by_type.items())),
        "by_minute": by_minute,
    }
