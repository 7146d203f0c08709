from __future__ import annotations

from datetime import UTC, datetime

from src.activity.minute_stats import minute_stats
from src.activity.store import MinuteCount


def test_every_minute_of_the_window_is_listed_in_order() -> None:
    since = datetime(2026, 11, 22, 23, 58, tzinfo=UTC)
    counts = [
        MinuteCount("2026-11-22T23:58", "post.vote", 2),
        MinuteCount("2026-11-23T00:00", "post.vote", 1),
        MinuteCount("2026-11-23T00:00", "user.login", 4),
    ]
    stats = minute_stats(counts, since, 3)
    assert stats["total"] == 7
    assert stats["by_type"] == {"post.vote": 3, "user.login": 4}
    assert stats["since"] == "2026-11-22T23:58:00+00:00"
    assert stats["until"] == "2026-11-23T00:01:00+00:00"
    assert stats["by_minute"] == [
        {"minute": "2026-11-22T23:58:00+00:00", "count": 2, "by_type": {"post.vote": 2}},
        {"minute": "2026-11-22T23:59:00+00:00", "count": 0, "by_type": {}},
        {
            "minute": "2026-11-23T00:00:00+00:00",
            "count": 5,
            "by_type": {"post.vote": 1, "user.login": 4},
        },
    ]
