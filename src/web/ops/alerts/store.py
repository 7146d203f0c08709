"""Alerts kept in Redis: one open alert per kind and subject, and the history, newest first.

Layout:

- `wolfit:alerts:entries` (hash: id -> alert as JSON) and `wolfit:alerts:index` (sorted
  set: id -> raised at, ms): the history. Past `KEEP` entries the oldest resolved ones go;
  open ones stay until they are resolved, so no open alert ever loses its entry.
- `wolfit:alerts:open` (hash: "kind subject" -> id of the open alert), for raising and
  resolving by subject in one step.
- `wolfit:alerts:open-index` (sorted set: id -> raised at, ms) and one
  `wolfit:alerts:open:<kind>` per kind: the open alerts, so that counts (ZCARD) and pages
  (ZREVRANGE) read only what they show, however many are open.

Some subjects are chosen by whoever sends requests (each username tried at the login,
each visitor address refused `/admin`), so an attacker could open alerts without bound.
Each kind holds at most `MAX_OPEN_PER_KIND` open alerts; past that a new subject gets no
alert of its own but is counted on the kind's one overflow alert (subject `*`, details
`suppressed`), resolved once the kind is under the cap again.

Raising and resolving are Lua scripts, so several web processes raising the same alert at
once make one alert, and only the process that made (or resolved) it tells the log and the
webhook. (The scripts name every key they touch but the per-kind set of a trimmed entry,
which is never one: trimming skips open alerts. Like arq, this is not Redis Cluster safe.)
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from redis.asyncio import Redis

__all__ = [
    "ALERT_KINDS",
    "MAX_OPEN_PER_KIND",
    "OVERFLOW_SUBJECT",
    "Alert",
    "AlertPage",
    "AlertStore",
]

ENTRIES = "wolfit:alerts:entries"
INDEX = "wolfit:alerts:index"
OPEN = "wolfit:alerts:open"
OPEN_INDEX = "wolfit:alerts:open-index"
OPEN_KIND = "wolfit:alerts:open:"  # + kind
SEQUENCE = "wolfit:alerts:seq"
KEEP = 1000
MAX_PAGE = 200
MAX_OPEN_PER_KIND = 100
OVERFLOW_SUBJECT = "*"

ALERT_KINDS = (
    "worker_absent",
    "queue_depth",
    "queue_age",
    "dead_letter",
    "activity_unhealthy",
    "login_failures",
    "forbidden",
)

# KEYS: open, entries, index, sequence, open index, open of the kind.
# ARGV: open field, alert JSON (no id), raised ms, keep, cap, overflow field, overflow JSON.
# Answers [1, id, overflow] for a new alert, [0, id, overflow] when one is open already;
# overflow is 1 when the kind was full and the alert is the kind's overflow alert.
_RAISE = """
local open_id = redis.call('HGET', KEYS[1], ARGV[1])
if open_id and redis.call('HEXISTS', KEYS[2], open_id) == 1 then
  return {0, tonumber(open_id), 0}
end
redis.call('HDEL', KEYS[1], ARGV[1])  -- a field without its entry (trimmed by an older version)
local field, body, overflow = ARGV[1], ARGV[2], 0
if redis.call('ZCARD', KEYS[6]) >= tonumber(ARGV[5]) then
  field, body, overflow = ARGV[6], ARGV[7], 1
  local over_id = redis.call('HGET', KEYS[1], field)
  local raw = over_id and redis.call('HGET', KEYS[2], over_id)
  if raw then
    local alert = cjson.decode(raw)
    if type(alert['details']) ~= 'table' then alert['details'] = {} end
    alert['details']['suppressed'] = (tonumber(alert['details']['suppressed']) or 0) + 1
    redis.call('HSET', KEYS[2], over_id, cjson.encode(alert))
    return {0, tonumber(over_id), 1}
  end
end
local id = redis.call('INCR', KEYS[4])
local alert = cjson.decode(body)
alert['id'] = id
redis.call('HSET', KEYS[2], id, cjson.encode(alert))
redis.call('HSET', KEYS[1], field, id)
redis.call('ZADD', KEYS[3], ARGV[3], id)
redis.call('ZADD', KEYS[5], ARGV[3], id)
if overflow == 0 then redis.call('ZADD', KEYS[6], ARGV[3], id) end
local excess = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[4])
if excess > 0 then
  -- the oldest resolved entries go; open ones (at most a few hundred) are skipped
  local candidates = redis.call('ZRANGE', KEYS[3], 0, excess + redis.call('ZCARD', KEYS[5]) - 1)
  for _, old_id in ipairs(candidates) do
    if excess == 0 then break end
    if not redis.call('ZSCORE', KEYS[5], old_id) then
      redis.call('HDEL', KEYS[2], old_id)
      redis.call('ZREM', KEYS[3], old_id)
      excess = excess - 1
    end
  end
end
return {1, id, overflow}
"""

# KEYS: open, entries, open index, open of the kind. ARGV: open field, resolved at (ISO).
# Answers the resolved alert's JSON.
_RESOLVE = """
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[3], id)
redis.call('ZREM', KEYS[4], id)
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


def _overflow_field(kind: str) -> str:
    return f"{kind}\t{OVERFLOW_SUBJECT}"  # no subject's field has a tab after the kind


def _open_kind(kind: str) -> str:
    return OPEN_KIND + kind


class AlertStore:
    """Raise, resolve and list alerts (see the module doc)."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._raise = redis.register_script(_RAISE)
        self._resolve = redis.register_script(_RESOLVE)

    async def raise_alert(
        self, kind: str, subject: str, message: str, details: dict[str, Any] | None = None
    ) -> tuple[Alert, bool]:
        """The open alert of `kind` and `subject` (or, if the kind holds `MAX_OPEN_PER_KIND`
        open alerts, the kind's overflow alert), and True if this call raised it."""
        raised_at = _now_iso()
        body = {
            "kind": kind,
            "subject": subject,
            "message": message,
            "raised_at": raised_at,
            "resolved_at": None,
            "details": details or {},
        }
        overflow_body = {
            **body,
            "subject": OVERFLOW_SUBJECT,
            "message": f"more than {MAX_OPEN_PER_KIND} {kind.replace('_', ' ')} alerts are "
            "open: further subjects are counted here, not alerted one by one",
            "details": {"suppressed": 1},
        }
        created, alert_id, overflow = await self._raise(
            keys=[OPEN, ENTRIES, INDEX, SEQUENCE, OPEN_INDEX, _open_kind(kind)],
            args=[
                _open_field(kind, subject),
                json.dumps(body),
                int(time.time() * 1000),
                KEEP,
                MAX_OPEN_PER_KIND,
                _overflow_field(kind),
                json.dumps(overflow_body),
            ],
        )
        made = overflow_body if overflow else body
        if created:
            return Alert(id=int(alert_id), **made), True
        existing = await self.get(int(alert_id))
        return (existing or Alert(id=int(alert_id), **made)), False

    async def resolve(self, kind: str, subject: str) -> Alert | None:
        """Resolve the open alert of `kind` and `subject`; None if none was open."""
        return await self._resolve_field(kind, _open_field(kind, subject))

    async def resolve_overflow(self, kind: str) -> Alert | None:
        """Resolve the kind's overflow alert once it is under the cap; None if none was open."""
        if await self.open_count(kind) >= MAX_OPEN_PER_KIND:
            return None
        return await self._resolve_field(kind, _overflow_field(kind))

    async def _resolve_field(self, kind: str, open_field: str) -> Alert | None:
        raw = await self._resolve(
            keys=[OPEN, ENTRIES, OPEN_INDEX, _open_kind(kind)], args=[open_field, _now_iso()]
        )
        return None if raw is None else Alert.from_json(raw)

    async def get(self, alert_id: int) -> Alert | None:
        """One alert by id."""
        raw = await self.redis.hget(ENTRIES, str(alert_id))  # type: ignore[misc]
        return None if raw is None else Alert.from_json(raw)

    async def open_count(self, kind: str | None = None) -> int:
        """How many alerts (of one kind, not counting its overflow alert) are open."""
        return int(await self.redis.zcard(OPEN_INDEX if kind is None else _open_kind(kind)))

    async def open_counts(self) -> dict[str, int]:
        """Open alerts per kind (each overflow alert counts for its kind), kinds with none left
        out: what the overview shows beside the newest few."""
        kinds = ALERT_KINDS
        async with self.redis.pipeline(transaction=False) as pipe:
            for kind in kinds:
                pipe.zcard(_open_kind(kind))
                pipe.hexists(OPEN, _overflow_field(kind))
            replies = await pipe.execute()
        counts = {
            kind: int(count) + bool(overflow)
            for kind, count, overflow in zip(kinds, replies[::2], replies[1::2], strict=True)
        }
        return {kind: count for kind, count in counts.items() if count}

    async def open_alerts(self, kind: str | None = None, *, limit: int = MAX_PAGE) -> list[Alert]:
        """The newest `limit` open alerts (of one kind: every one, at most
        `MAX_OPEN_PER_KIND`; its overflow alert is not among them), newest first."""
        key = OPEN_INDEX if kind is None else _open_kind(kind)
        return await self._read(await self.redis.zrevrange(key, 0, limit - 1))

    async def _read(self, ids: list[bytes]) -> list[Alert]:
        raws = await self.redis.hmget(ENTRIES, ids) if ids else []  # type: ignore[misc]
        return [Alert.from_json(raw) for raw in raws if raw is not None]

    async def list(
        self,
        state: Literal["open", "all"] = "all",
        *,
        offset: int = 0,
        limit: int = 50,
    ) -> AlertPage:
        """A page of alerts, newest first: every alert kept, or only the open ones; reads
        only that page from Redis."""
        if offset < 0:
            raise ValueError("offset must be 0 or more")
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE}")
        key = OPEN_INDEX if state == "open" else INDEX
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrevrange(key, offset, offset + limit - 1)
            pipe.zcard(key)
            ids, total = await pipe.execute()
        return AlertPage(await self._read(ids), int(total), offset, limit)
