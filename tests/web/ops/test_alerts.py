"""Each alert rule of docs/dashboard.md fires and resolves against the real suite, reaches
`var/alerts.log` and a webhook (a local aiohttp server), and a webhook that hangs delays
nothing. Thresholds are shrunk through settings; rules are evaluated by calling
`evaluate()` until the condition shows, never by sleeping."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from src.jobs import DeadLetter, DeadLetterStore, enqueue_event
from src.web.ops import Alert
from src.web.ops.alerts.engine import FORBIDDEN_SEEN
from src.web.ops.alerts.store import MAX_OPEN_PER_KIND, OVERFLOW_SUBJECT
from tests.jobs.helpers import WOLFIT_WORKER, settings_env, worker_process
from tests.support.activity import event_body
from tests.support.site_client import SiteClient
from tests.support.waiting import eventually
from tests.web.ops.conftest import Ops, add_user


class Webhook:
    """A webhook receiver: records each payload; `released` cleared makes it hold each POST
    open, unanswered, until it is set (`held` are those requests, oldest first)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.held: list[web.Request] = []
        self.pending = 0
        self.released = asyncio.Event()
        self.released.set()

    async def handle(self, request: web.Request) -> web.Response:
        self.pending += 1
        if not self.released.is_set():
            self.held.append(request)
        try:
            await self.released.wait()
            self.received.append(await request.json())
        finally:
            self.pending -= 1
        return web.json_response({"ok": True})

    def events(self) -> list[tuple[str, str]]:
        return [(item["event"], item["alert"]["kind"]) for item in self.received]


@pytest.fixture
async def webhook(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> AsyncIterator[tuple[Webhook, str]]:
    receiver = Webhook()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    server = await aiohttp_server(app)
    yield receiver, str(server.make_url("/hook"))
    receiver.released.set()


async def _raised(ops: Ops, kind: str) -> Alert:
    async def probe() -> list[Alert]:
        await ops.alerts.evaluate()
        return await ops.alerts.store.open_alerts(kind)

    [alert] = await eventually(probe, bool, what=f"a {kind} alert")
    return alert


async def _resolved(ops: Ops, kind: str) -> None:
    async def probe() -> list[Alert]:
        await ops.alerts.evaluate()
        return await ops.alerts.store.open_alerts(kind)

    await eventually(probe, lambda alerts: not alerts, what=f"the {kind} alert to resolve")


def _log_lines(ops: Ops) -> list[tuple[str, str]]:
    path = ops.settings.var_dir / "alerts.log"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return [(line["event"], line["alert"]["kind"]) for line in lines]


async def _delivered(hook: Webhook, *expected: tuple[str, str]) -> None:
    await eventually(
        lambda: asyncio.sleep(0, hook.events()),
        lambda events: all(item in events for item in expected),
        what=f"the webhook to receive {expected}",
    )


async def test_no_live_worker(
    make_ops: Callable[..., Awaitable[Ops]],
    worker: Callable[..., Any],
    webhook: tuple[Webhook, str],
) -> None:
    hook, url = webhook
    ops = await make_ops(alert_worker_absent=0.3, alert_webhook_url=url)
    async with worker():
        await eventually(lambda: ops.api("GET", "/api/ops/workers"), lambda body: body["live"])
        await ops.alerts.evaluate()
        assert await ops.alerts.store.open_alerts("worker_absent") == []
    alert = await _raised(ops, "worker_absent")  # the worker is gone
    assert alert.message.startswith("no live worker for")
    async with worker():
        await eventually(lambda: ops.api("GET", "/api/ops/workers"), lambda body: body["live"])
        await _resolved(ops, "worker_absent")
    await _delivered(hook, ("alert.raised", "worker_absent"), ("alert.resolved", "worker_absent"))
    assert _log_lines(ops) == [
        ("alert.raised", "worker_absent"),
        ("alert.resolved", "worker_absent"),
    ]
    [sent] = [item for item in hook.received if item["event"] == "alert.raised"]
    assert sent["alert"]["id"] == alert.id
    assert sent["alert"]["state"] == "open"
    assert sent["source"] == "wolfit"


async def test_activity_service_unhealthy(
    make_ops: Callable[..., Awaitable[Ops]], webhook: tuple[Webhook, str]
) -> None:
    hook, url = webhook
    ops = await make_ops(alert_webhook_url=url)
    await ops.alerts.evaluate()
    assert await ops.alerts.store.open_alerts("activity_unhealthy") == []
    await ops.activity.stop()
    alert = await _raised(ops, "activity_unhealthy")
    assert alert.subject == ops.settings.activity_url
    await ops.activity.start()
    await _resolved(ops, "activity_unhealthy")
    await _delivered(
        hook, ("alert.raised", "activity_unhealthy"), ("alert.resolved", "activity_unhealthy")
    )


async def test_queue_depth_and_age(
    make_ops: Callable[..., Awaitable[Ops]],
    worker: Callable[..., Any],
    webhook: tuple[Webhook, str],
) -> None:
    hook, url = webhook
    ops = await make_ops(alert_queue_depth=3, alert_queue_age=0.2, alert_webhook_url=url)
    for _ in range(3):  # with root's login event: 4 jobs, over the threshold of 3
        await enqueue_event(ops.pool, event_body())
    depth = await _raised(ops, "queue_depth")
    assert depth.details == {"depth": 4}
    assert "4 jobs queued" in depth.message
    await _raised(ops, "queue_age")
    async with worker():  # drains the queue
        await eventually(lambda: ops.api("GET", "/api/ops/queue"), lambda q: q["depth"] == 0)
    await _resolved(ops, "queue_depth")
    await _resolved(ops, "queue_age")
    await _delivered(
        hook,
        ("alert.raised", "queue_depth"),
        ("alert.resolved", "queue_depth"),
        ("alert.raised", "queue_age"),
        ("alert.resolved", "queue_age"),
    )


async def test_a_new_dead_letter(
    make_ops: Callable[..., Awaitable[Ops]], webhook: tuple[Webhook, str]
) -> None:
    hook, url = webhook
    ops = await make_ops(alert_dead_letter_quiet=0.5, alert_webhook_url=url)
    store = DeadLetterStore(ops.pool)
    entry = DeadLetter(id="e1", event={"id": "e1"}, error="HTTP 400", reason="rejected", tries=1)
    await store.add(entry)
    alert = await _raised(ops, "dead_letter")
    assert alert.details == {"count": 1}
    # A second one while the alert is open adds no second alert.
    await store.add(DeadLetter(id="e2", event={}, error="x", reason="rejected", tries=1))
    await ops.alerts.evaluate()
    assert len(await ops.alerts.store.open_alerts("dead_letter")) == 1
    await _resolved(ops, "dead_letter")  # no new letter for ALERT_DEAD_LETTER_QUIET
    # Raised again by a newer one; resolved at once when the store is emptied.
    await store.add(entry)
    await _raised(ops, "dead_letter")
    await ops.api("DELETE", "/api/ops/dead-letters/e1")
    await ops.api("DELETE", "/api/ops/dead-letters/e2")
    await ops.alerts.evaluate()
    assert await ops.alerts.store.open_alerts("dead_letter") == []
    await _delivered(hook, ("alert.raised", "dead_letter"), ("alert.resolved", "dead_letter"))
    assert [event for event in hook.events() if event[1] == "dead_letter"] == [
        ("alert.raised", "dead_letter"),
        ("alert.resolved", "dead_letter"),
    ] * 2


async def test_five_failed_logins_for_one_user(
    make_ops: Callable[..., Awaitable[Ops]],
    visitor: Callable[[SiteClient], Awaitable[SiteClient]],
    webhook: tuple[Webhook, str],
) -> None:
    hook, url = webhook
    ops = await make_ops(alert_login_window=1.0, alert_webhook_url=url)
    await add_user(ops.site, "alice", admin=False)
    guesser = await visitor(ops.site)
    for _ in range(4):
        assert (await guesser.login("alice", "wrong password")).status == 401
    assert (await guesser.login("bob", "wrong password")).status == 401  # another name
    assert await ops.alerts.store.open_alerts("login_failures") == []
    assert (await guesser.login("ALICE", "wrong password")).status == 401
    [alert] = await ops.alerts.store.open_alerts("login_failures")
    assert (alert.subject, alert.details) == ("alice", {"failures": 5})
    await _resolved(ops, "login_failures")  # the window passed
    await _delivered(hook, ("alert.raised", "login_failures"), ("alert.resolved", "login_failures"))


async def test_a_plain_user_on_admin(
    make_ops: Callable[..., Awaitable[Ops]],
    visitor: Callable[[SiteClient], Awaitable[SiteClient]],
    webhook: tuple[Webhook, str],
) -> None:
    hook, url = webhook
    ops = await make_ops(alert_forbidden_quiet=0.5, alert_webhook_url=url)
    await add_user(ops.site, "alice", admin=False)
    alice = await visitor(ops.site)
    await alice.login("alice")
    await alice.page("/admin", status=403)
    await alice.page("/admin/dead-letters", status=403)  # the same open alert
    [alert] = await ops.alerts.store.open_alerts("forbidden")
    assert alert.subject == "alice"
    await _resolved(ops, "forbidden")  # quiet for ALERT_FORBIDDEN_QUIET
    await _delivered(hook, ("alert.raised", "forbidden"), ("alert.resolved", "forbidden"))
    assert [event for event in hook.events() if event[1] == "forbidden"] == [
        ("alert.raised", "forbidden"),
        ("alert.resolved", "forbidden"),
    ]


async def test_subjects_strangers_choose_open_a_bounded_number_of_alerts(
    make_ops: Callable[..., Awaitable[Ops]],
) -> None:
    """Each name tried at the login has its alert, up to the cap; past it one overflow
    alert counts the rest; the overview shows counts and the newest few, never them all."""
    ops = await make_ops(alert_login_failures=1, alert_login_window=0.5, alert_forbidden_quiet=0.5)
    for n in range(MAX_OPEN_PER_KIND + 3):
        await ops.alerts.failed_login(f"name{n}")
    for n in range(5):
        await ops.alerts.forbidden(f"visitor@10.0.0.{n}", "GET", "/admin")
    overview = (await ops.api("GET", "/api/ops/overview"))["alerts"]
    assert overview["by_kind"] == {"login_failures": MAX_OPEN_PER_KIND + 1, "forbidden": 5}
    assert overview["open"] == MAX_OPEN_PER_KIND + 6
    assert len(overview["items"]) == 20
    [overflow] = [item for item in overview["items"] if item["subject"] == OVERFLOW_SUBJECT]
    assert (overflow["kind"], overflow["details"]) == ("login_failures", {"suppressed": 3})
    html = await ops.site.page("/admin")
    assert f"The newest 20 of {MAX_OPEN_PER_KIND + 6} open alerts: " in html
    assert f"{MAX_OPEN_PER_KIND + 1} login failures, 5 forbidden." in html

    async def still_open() -> dict[str, int]:
        await ops.alerts.evaluate()
        return await ops.alerts.store.open_counts()

    await eventually(still_open, lambda counts: not counts, what="every alert to resolve")
    assert await ops.pool.zcard(FORBIDDEN_SEEN) == 0  # nothing kept per subject
    raised = [line for line in _log_lines(ops) if line == ("alert.raised", "login_failures")]
    assert len(raised) == MAX_OPEN_PER_KIND + 1  # the overflow alert told once


async def test_a_hanging_webhook_delays_nothing(
    make_ops: Callable[..., Awaitable[Ops]], webhook: tuple[Webhook, str]
) -> None:
    hook, url = webhook
    hook.released.clear()  # the receiver holds every POST open, unanswered
    ops = await make_ops(alert_webhook_url=url)
    await ops.alerts.forbidden("mallory", "GET", "/admin")
    await eventually(lambda: asyncio.sleep(0, hook.pending), lambda n: n == 1)
    [first] = hook.held
    # While that POST is held, rules are evaluated, alerts raised, logged, listed, answered.
    await DeadLetterStore(ops.pool).add(
        DeadLetter(id="e1", event={}, error="x", reason="rejected", tries=1)
    )
    await ops.alerts.evaluate()
    assert _log_lines(ops) == [("alert.raised", "forbidden"), ("alert.raised", "dead_letter")]
    listed = await ops.api("GET", "/api/ops/alerts?state=open")
    assert {item["kind"] for item in listed["items"]} == {"forbidden", "dead_letter"}
    assert (await ops.api("GET", "/api/ops/overview"))["alerts"]["open"] == 2
    # ... and the first POST is still the only one, still open: nothing above waited for it,
    # not even for its timeout (the sender would then have closed it and tried again).
    assert (hook.held, hook.pending, hook.received) == ([first], 1, [])
    assert first.transport is not None
    assert not first.transport.is_closing()
    hook.released.set()
    await _delivered(hook, ("alert.raised", "forbidden"), ("alert.raised", "dead_letter"))


@pytest.mark.slow
async def test_a_killed_worker_process(
    make_ops: Callable[..., Awaitable[Ops]], tmp_path: Path
) -> None:
    """SIGKILL: no goodbye; the alert comes once the heartbeat expires (within 30 s)."""
    ops = await make_ops(alert_worker_absent=1.0)
    env = settings_env(ops.settings)
    with worker_process(WOLFIT_WORKER, env, tmp_path / "worker.log") as process:
        await eventually(
            lambda: ops.api("GET", "/api/ops/workers"), lambda body: body["live"], timeout=30
        )
        await ops.alerts.evaluate()
        assert await ops.alerts.store.open_alerts("worker_absent") == []
        process.kill()  # SIGKILL

    async def probe() -> list[Alert]:
        await ops.alerts.evaluate()
        return await ops.alerts.store.open_alerts("worker_absent")

    [alert] = await eventually(probe, bool, timeout=30, interval=0.5, what="worker_absent")
    workers = await ops.api("GET", "/api/ops/workers")
    assert (workers["live"], [w["state"] for w in workers["gone"]]) == ([], ["vanished"])
    assert alert.message.startswith("no live worker for")
