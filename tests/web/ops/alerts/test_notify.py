"""The webhook sender retries with backoff and gives up; the log gets one line per event."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from src.web.ops.alerts.notify import AlertLog, WebhookPolicy, WebhookSender, alert_payload
from src.web.ops.alerts.store import Alert
from tests.support.waiting import eventually

ALERT = Alert(id=7, kind="queue_depth", subject="arq:queue", message="deep", raised_at="t")
QUICK = WebhookPolicy(timeout=1.0, tries=3, backoff_base=0.01, backoff_cap=0.02)


async def _server(
    aiohttp_server: Callable[..., Awaitable[TestServer]], statuses: list[int]
) -> tuple[TestServer, list[dict[str, object]]]:
    seen: list[dict[str, object]] = []

    async def hook(request: web.Request) -> web.Response:
        seen.append(await request.json())
        return web.Response(status=statuses.pop(0) if statuses else 200)

    app = web.Application()
    app.router.add_post("/", hook)
    return await aiohttp_server(app), seen


async def test_a_failing_webhook_is_retried_until_it_answers(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> None:
    server, seen = await _server(aiohttp_server, [500, 503])
    sender = WebhookSender(str(server.make_url("/")), QUICK)
    await sender.start()
    sender.send(alert_payload("raised", ALERT))
    await eventually(lambda: _sent(sender), lambda n: n == 1, what="the third try to land")
    await sender.stop()
    assert len(seen) == 3
    assert seen[0]["event"] == "alert.raised"


async def test_a_dead_webhook_is_given_up_after_its_tries(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> None:
    server, seen = await _server(aiohttp_server, [500] * 10)
    sender = WebhookSender(str(server.make_url("/")), QUICK)
    await sender.start()
    sender.send(alert_payload("raised", ALERT))
    sender.send(alert_payload("resolved", ALERT))
    await eventually(lambda: _count(seen), lambda n: n == 6, what="both given up")
    await sender.stop()
    assert sender.sent == 0


async def test_a_full_queue_drops_the_oldest(tmp_path: Path) -> None:
    sender = WebhookSender("http://127.0.0.1:9/", WebhookPolicy(queue_size=2))
    for alert_id in (1, 2, 3):
        sender.send({"id": alert_id})
    assert sender.dropped == 1


def test_the_log_gets_one_json_line_each(tmp_path: Path) -> None:
    log = AlertLog(tmp_path / "var" / "alerts.log")
    log.write(alert_payload("raised", ALERT))
    log.write(alert_payload("resolved", ALERT))
    lines = [json.loads(line) for line in log.path.read_text().splitlines()]
    assert [line["event"] for line in lines] == ["alert.raised", "alert.resolved"]
    assert lines[0]["alert"]["kind"] == "queue_depth"


async def _sent(sender: WebhookSender) -> int:
    return sender.sent


async def _count(seen: list[dict[str, object]]) -> int:
    return len(seen)
