"""Alerts kept in Redis: one open alert per kind and subject, and the history, newest first.

Layout: `wolfit:alerts:entries` (hash: id -> alert as JSON), `wolfit:alerts:index` (sorted
set: id -> raised at, ms; the newest `KEEP` are kept), `wolfit:alerts:open` (hash:
"kind subject" -> id of the open alert). Raising and resolving are Lua scripts, so several
web processes raising the same alert at once make one alert, and only the process that made
(or resolved) it tells the log and the webhook.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from redis.asyncio import Redis

__all__ = ["ALERT_KINDS", "Alert", "AlertPage", "AlertStore"]

ENTRIES = "wolfit:alerts:entries"
INDEX = "wolfit:alerts:index"
OPEN = "wolfit:alerts:open"
SEQUENCE = "wolfit:alerts:seq"
KEEP = 1000
MAX_PAGE = 200

ALERT_KINDS = (
    "worker_absent",
    "queue_depth",
    "queue_age",
    "dead_letter",
    "activity_unhealthy",
    "login_failures",
    "forbidden",
)

# KEYS: open, entries, index, sequence. ARGV: open field, alert JSON (no id), raised ms, keep.
# Answers [1, id] for a new alert, [0, id] when one is open already.
_RAISE = """
local open_id = redis.call('HGET', KEYS[1], ARGV[1])
if open_id then return {0, tonumber(open_id)} end
local id = redis.call('INCR', KEYS[4])
local alert = cjson.decode(ARGV[2])
alert['id'] = id
redis.call('HSET', KEYS[2], id, cjson.encode(alert))
redis.call('HSET', KEYS[1], ARGV[1], id)
redis.call('ZADD', KEYS[3], ARGV[3], id)
local excess = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[4])
if excess > 0 then
  local old = redis.call('ZRANGE', KEYS[3], 0, excess - 1)
  for _, old_id in ipairs(old) do
    if old_id ~= id then redis.call('HDEL', KEYS[2], old_id) end
  end
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, excess - 1)
end
return {1, id}
"""

# KEYS: open, entries. ARGV: open field, resolved at (ISO). Answers the resolved alert's JSON.
_RESOLVE = """
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
local raw = redis.call('HGET', KEYS[2], id)
if not raw then return false end
local alert = cjson.decode(raw)
alert['resolved_at'] = ARGV[2]
raw = cjson.encode(alert)
redis.call('HSET', KEYS[2], id, raw)
return raw
"""


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert: what (kind), about whom or what (subject), when raised and resolved."""

    id: int
    kind: str
    subject: str
    message: str
    raised_at: str
    resolved_at: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return self.resolved_at is None

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["state"] = "open" if self.open else "resolved"
        return data

    @classmethod
    def from_json(cls, raw: bytes | str) -> Alert:
        data = json.loads(raw)
        if not isinstance(data.get("details"), dict):  # Lua's cjson writes {} as []
            data["details"] = {}
        return cls(**{key: data.get(key) for key in cls.__dataclass_fields__ if key in data})


@dataclass(frozen=True, slots=True)
class AlertPage:
    """One page of alerts, newest first, and how many there are."""

    items: list[Alert]
    total: int
    offset: int
    limit: int

    def to_dict(self) -> dict[str, Any]:
        following = self.offset + self.limit
        return {
            "items": [alert.to_dict() for alert in self.items],
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "next_offset": following if following < self.total else None,
        }


def _open_field(kind: str, subject: str) -> str:
    return f"{kind} {subject}"


class AlertStore:
    """Raise, resolve and list alerts (see the module doc)."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._raise = redis.register_script(_RAISE)
        self._resolve = redis.register_script(_RESOLVE)

    async def raise_alert(
        self, kind: str, subject: str, message: str, details: dict[str, Any] | None = None
    ) -> tuple[Alert, bool]:
        """The open alert of `kind` and `subject`, and True if this call raised it."""
        raised_at = _now_iso()
        body = {
            "kind": kind,
            "subject": subject,
            "message": message,
            "raised_at": raised_at,
            "resolved_at": None,
            "details": details or {},
        }
        created, alert_id = await self._raise(
            keys=[OPEN, ENTRIES, INDEX, SEQUENCE],
            args=[_open_field(kind, subject), json.dumps(body), int(time.time() * 1000), KEEP],
        )
        if created:
            return Alert(id=int(alert_id), **body), True  # type: ignore[arg-type]
        existing = await self.get(int(alert_id))
        return (existing or Alert(id=int(alert_id), **body)), False  # type: ignore[arg-type]

    async def resolve(self, kind: str, subject: str) -> Alert | None:
        """Resolve the open alert of `kind` and `subject`; None if none was open."""
        raw = await self._resolve(
            keys=[OPEN, ENTRIES], args=[_open_field(kind, subject), _now_iso()]
        )
        return None if raw is None else Alert.from_json(raw)

    async def get(self, alert_id: int) -> Alert | None:
        """One alert by id."""
        raw = await self.redis.hget(ENTRIES, str(alert_id))  # type: ignore[misc]
        return None if raw is None else Alert.from_json(raw)

    async def open_alerts(self, kind: str | None = None) -> list[Alert]:
        """Every open alert (of one kind), newest first."""
        opened: dict[bytes, bytes] = await self.redis.hgetall(OPEN)  # type: ignore[misc]
        ids = [
            alert_id
            for name, alert_id in opened.items()
            if kind is None or name.decode().split(" ", 1)[0] == kind
        ]
        if not ids:
            return []
        raws = await self.redis.hmget(ENTRIES, ids)  # type: ignore[misc]
        alerts = [Alert.from_json(raw) for raw in raws if raw is not None]
        return sorted(alerts, key=lambda alert: alert.id, reverse=True)

    async def list(
        self,
        state: Literal["open", "all"] = "all",
        *,
        offset: int = 0,
        limit: int = 50,
    ) -> AlertPage:
        """A page of alerts, newest first: every alert kept, or only the open ones."""
        if offset < 0:
            raise ValueError("offset must be 0 or more")
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE}")
        if state == "open":
            alerts = await self.open_alerts()
            return AlertPage(alerts[offset : offset + limit], len(alerts), offset, limit)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrevrange(INDEX, offset, offset + limit - 1)
            pipe.zcard(INDEX)
            ids, total = await pipe.execute()
        raws = await self.redis.hmget(ENTRIES, ids) if ids else []  # type: ignore[misc]
        items = [Alert.from_json(raw) for raw in raws if raw is not None]
        return AlertPage(items, int(total), offset, limit)
