"""The alert rules of the dashboard (docs/dashboard.md): evaluated on a timer, and raised by events.

Evaluated every `ALERT_INTERVAL` seconds by one web process at a time (a `RedisLease` that
the holder renews; another process takes over when it lapses). Each rule raises while its
condition holds and resolves when it ends (docs/dashboard.md, "Alerts"). The rules raised
by events are raised by whichever web process sees the event: their counts live in Redis and
the store raises each alert once (one Lua step), so they need no lease.

- `worker_absent`: no live worker for `ALERT_WORKER_ABSENT` s; resolved when one beats.
- `queue_depth`: more than `ALERT_QUEUE_DEPTH` jobs queued; resolved below it.
- `queue_age`: the oldest due job waited over `ALERT_QUEUE_AGE` s; resolved below it.
- `dead_letter`: an event was parked in the last `ALERT_DEAD_LETTER_QUIET` s; resolved
  when none came for that long, or the store is empty.
- `activity_unhealthy`: the activity service's `/healthz`, probed from the web process,
  fails; resolved when it answers 200.
- `login_failures` (raised at once by the login view): `ALERT_LOGIN_FAILURES` failed logins
  for one name within `ALERT_LOGIN_WINDOW` s; resolved when the window holds fewer.
- `forbidden` (raised at once by the guard): a non-admin request to `/admin` or the ops
  API; resolved after `ALERT_FORBIDDEN_QUIET` s without another from that subject.

The last two have one alert per subject (name tried, visitor refused), which strangers
choose: the store caps the open ones per kind (`MAX_OPEN_PER_KIND`, then one overflow alert
counts the rest), and what the rules keep per subject expires, so nothing grows unbounded.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import datetime
from typing import Any

from arq.connections import ArqRedis

from src.common.activity_client import ActivityClient
from src.common.settings import Settings
from src.common.tasks import stop_task
from src.jobs import DeadLetterStore, live_workers, queue_stats, recent_workers
from src.web.lease import RedisLease
from src.web.ops.alerts.notify import AlertLog, WebhookSender, alert_payload
from src.web.ops.alerts.store import MAX_OPEN_PER_KIND, Alert, AlertStore

__all__ = ["AlertEngine"]

log = logging.getLogger(__name__)

LOCK = "wolfit:alerts:evaluator"

NO_WORKER_SINCE = "wolfit:alerts:no-worker-since"
FORBIDDEN_SEEN = "wolfit:alerts:forbidden-seen"  # sorted set: subject -> last refused at
PROBE_TIMEOUT = 3.0
QUEUE_SUBJECT = "arq:queue"


def _logins_key(name: str) -> str:
    return f"wolfit:alerts:logins:{name.lower()}"


def _ago(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


class AlertEngine:
    """Raises and resolves alerts, tells the log and the webhook, evaluates the rules."""

    def __init__(
        self,
        redis: ArqRedis,
        settings: Settings,
        *,
        alert_log: AlertLog,
        webhook: WebhookSender | None = None,
        activity: ActivityClient | None = None,
        lock_ttl: float | None = None,
    ) -> None:
        self.redis = redis
        self.settings = settings
        self.store = AlertStore(redis)
        self.alert_log = alert_log
        self.webhook = webhook
        self.activity = activity
        self.interval = settings.alert_interval
        # Long enough to survive a slow evaluation; short enough for a quick takeover.
        self.lock_ttl = lock_ttl if lock_ttl is not None else max(3 * self.interval, 10.0)
        self.lease = RedisLease(redis, LOCK, self.lock_ttl)
        self._task: asyncio.Task[None] | None = None
        self.evaluations = 0

    # Raising and resolving ------------------------------------------------------------

    async def raise_alert(
        self, kind: str, subject: str, message: str, details: dict[str, Any] | None = None
    ) -> Alert:
        """The open alert of `kind`/`subject`; a new one is logged and sent to the webhook."""
        alert, created = await self.store.raise_alert(kind, subject, message, details)
        if created:
            log.warning("alert raised: %s (%s): %s", kind, subject, message)
            self._publish("raised", alert)
        return alert

    async def resolve(self, kind: str, subject: str) -> Alert | None:
        """Resolve the open alert of `kind`/`subject`, if any; logged and sent."""
        alert = await self.store.resolve(kind, subject)
        if alert is not None:
            log.info("alert resolved: %s (%s)", kind, subject)
            self._publish("resolved", alert)
        return alert

    def _publish(self, event: str, alert: Alert) -> None:
        payload = alert_payload(event, alert)
        self.alert_log.write(payload)
        if self.webhook is not None:
            self.webhook.send(payload)

    # Rules raised by events -------------------------------------------------------------

    async def failed_login(self, username: str) -> Alert | None:
        """Count a failed login for `username`; alert once the window holds enough."""
        now = time.time()
        window = self.settings.alert_login_window
        key = _logins_key(username)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {f"{now:.6f}-{uuid.uuid4().hex[:6]}": now})
            pipe.zremrangebyscore(key, "-inf", now - window)
            pipe.zcard(key)
            pipe.expire(key, int(window) + 1)
            _, _, count, _ = await pipe.execute()
        if count < self.settings.alert_login_failures:
            return None
        message = (
            f"{count} failed logins for {username!r} within {_ago(window)}: "
            "someone may be guessing the password"
        )
        return await self.raise_alert(
            "login_failures", username.lower(), message, {"failures": int(count)}
        )

    async def forbidden(self, subject: str, method: str, path: str) -> Alert:
        """A non-admin asked for an admin page or the ops API."""
        await self.redis.zadd(FORBIDDEN_SEEN, {subject: time.time()})
        message = f"{subject} was refused {method} {path[:200]}: the operator area is for admins"
        return await self.raise_alert("forbidden", subject, message, {"path": path[:200]})

    # Rules evaluated on a timer ----------------------------------------------------------

    async def evaluate(self) -> None:
        """Check every timed rule once, raising and resolving as conditions hold or end."""
        for rule in (
            self._workers,
            self._queue,
            self._dead_letters,
            self._activity,
            self._logins,
            self._forbidden_quiet,
        ):
            try:
                await rule()
            except Exception as exc:  # one broken rule (Redis away) must not stop the others
                log.warning("alert rule %s failed: %s", rule.__name__, exc)
        self.evaluations += 1

    async def _workers(self) -> None:
        if await live_workers(self.redis):
            await self.redis.delete(NO_WORKER_SINCE)
            await self.resolve("worker_absent", "workers")
            return
        gone = await recent_workers(self.redis)
        if gone:
            since = datetime.fromisoformat(gone[0].last_beat).timestamp()
        else:  # no worker in the last hour: count from when we first saw none
            await self.redis.set(NO_WORKER_SINCE, str(time.time()), nx=True)
            since = float(await self.redis.get(NO_WORKER_SINCE) or time.time())
        absent = time.time() - since
        if absent >= self.settings.alert_worker_absent:
            message = f"no live worker for {_ago(absent)}: events are not being delivered"
            await self.raise_alert("worker_absent", "workers", message, {"since": since})

    async def _queue(self) -> None:
        stats = await queue_stats(self.redis)
        if stats.depth > self.settings.alert_queue_depth:
            message = f"{stats.depth} jobs queued (threshold {self.settings.alert_queue_depth})"
            await self.raise_alert("queue_depth", QUEUE_SUBJECT, message, {"depth": stats.depth})
        else:
            await self.resolve("queue_depth", QUEUE_SUBJECT)
        age = stats.oldest_ready_age
        if age is not None and age > self.settings.alert_queue_age:
            message = f"the oldest due job has waited {_ago(age)}"
            message += f" (threshold {_ago(self.settings.alert_queue_age)})"
            await self.raise_alert("queue_age", QUEUE_SUBJECT, message, {"age": round(age, 3)})
        else:
            await self.resolve("queue_age", QUEUE_SUBJECT)

    async def _dead_letters(self) -> None:
        store = DeadLetterStore(self.redis)
        count, newest = await store.count(), await store.newest_at()
        quiet = self.settings.alert_dead_letter_quiet
        if count and newest is not None and time.time() - newest < quiet:
            message = f"an event was parked in the dead-letter store; {count} waiting in all"
            await self.raise_alert("dead_letter", "dead-letters", message, {"count": count})
        else:
            await self.resolve("dead_letter", "dead-letters")

    async def _activity(self) -> None:
        if self.activity is None:
            return
        try:
            async with asyncio.timeout(PROBE_TIMEOUT):
                health = await self.activity.health()
            ok, error = health.ok, health.error
        except TimeoutError:
            ok, error = False, f"no answer within {PROBE_TIMEOUT:g} s"
        subject = self.activity.base_url
        if ok:
            await self.resolve("activity_unhealthy", subject)
        else:
            message = f"the activity service at {subject} is unhealthy: {error}"
            await self.raise_alert("activity_unhealthy", subject, message, {"error": error})

    async def _logins(self) -> None:
        window, threshold = self.settings.alert_login_window, self.settings.alert_login_failures
        for alert in await self.store.open_alerts("login_failures", limit=MAX_OPEN_PER_KIND):
            key = _logins_key(alert.subject)
            count = await self.redis.zcount(key, time.time() - window, "+inf")
            if count < threshold:
                await self.resolve("login_failures", alert.subject)
        await self._resolve_overflow("login_failures")

    async def _forbidden_quiet(self) -> None:
        quiet_since = time.time() - self.settings.alert_forbidden_quiet
        for alert in await self.store.open_alerts("forbidden", limit=MAX_OPEN_PER_KIND):
            last = await self.redis.zscore(FORBIDDEN_SEEN, alert.subject)
            if last is None or last <= quiet_since:
                await self.resolve("forbidden", alert.subject)
        await self.redis.zremrangebyscore(FORBIDDEN_SEEN, "-inf", quiet_since)
        await self._resolve_overflow("forbidden")

    async def _resolve_overflow(self, kind: str) -> None:
        """Resolve the kind's overflow alert once fewer than the cap are open."""
        alert = await self.store.resolve_overflow(kind)
        if alert is not None:
            log.info("alert resolved: %s (overflow)", kind)
            self._publish("resolved", alert)

    # The background evaluator -----------------------------------------------------------

    async def _run(self) -> None:
        while True:
            try:
                if await self.lease.hold():
                    await self.evaluate()
            except Exception as exc:
                log.warning("alert evaluation failed: %s", exc)
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        """Evaluate in the background until `stop`; start the webhook sender."""
        if self.webhook is not None:
            await self.webhook.start()
        self._task = asyncio.create_task(self._run(), name="alert evaluator")

    async def stop(self) -> None:
        if self._task is not None:
            await stop_task(self._task)
            self._task = None
        await self.lease.release()
        if self.webhook is not None:
            await self.webhook.stop()
