"""The admin guard: who may see /admin and call the ops API, and what everyone else gets."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from src.web.app_keys import DATABASE
from tests.support.outbox import all_outbox_rows
from tests.support.site_client import SiteClient
from tests.web.conftest import AppFactory
from tests.web.ops.conftest import OPS_TOKEN, Ops, add_user


async def _forbidden_events(ops: Ops) -> list[dict[str, object]]:
    """The `auth.forbidden` events recorded so far, oldest first.

    Each is on the queue (the answer waits for the enqueue) or, if that failed, still in the
    outbox; the outbox row of an enqueued event is purged in the background at any moment, so
    reading the outbox alone would race the purger.
    """
    queued = [job.args[0] for job in await ops.pool.queued_jobs()]
    kept = [row.event for row in await ops.app[DATABASE].read(all_outbox_rows)]
    events = {event["id"]: event for event in [*kept, *queued]}
    forbidden = [event for event in events.values() if event["type"] == "auth.forbidden"]
    return sorted(forbidden, key=lambda event: str(event["timestamp"]))


async def test_a_visitor_gets_a_403_page_with_a_login_link(
    ops: Ops, visitor: Callable[[SiteClient], Awaitable[SiteClient]]
) -> None:
    stranger = await visitor(ops.site)
    html = await stranger.page("/admin/jobs?status=failed", status=403)
    assert "Admins only" in html
    assert 'href="/login?next=/admin/jobs?status%3Dfailed"' in html
    [event] = await _forbidden_events(ops)
    assert event["username"] is None
    assert event["data"]["path"] == "/admin/jobs"  # type: ignore[index]
    [alert] = await ops.alerts.store.open_alerts("forbidden")
    assert alert.subject == "visitor@127.0.0.1"


async def test_a_plain_user_gets_403_an_event_and_an_alert(
    ops: Ops, visitor: Callable[[SiteClient], Awaitable[SiteClient]]
) -> None:
    alice = await visitor(ops.site)
    await add_user(ops.site, "alice", admin=False)
    await alice.login("alice")
    html = await alice.page("/admin", status=403)
    assert "You are logged in as alice, who is not an admin." in html
    response = await alice.client.get("/api/ops/queue")
    assert response.status == 403
    assert "alice is not an admin" in (await response.json())["error"]
    events = await _forbidden_events(ops)
    assert [(e["username"], e["data"]["path"]) for e in events] == [  # type: ignore[index]
        ("alice", "/admin"),
        ("alice", "/api/ops/queue"),
    ]
    [alert] = await ops.alerts.store.open_alerts("forbidden")
    assert (alert.subject, alert.details) == ("alice", {"path": "/admin"})


async def test_tokens_wrong_malformed_or_unset_are_401(
    ops: Ops, make_site: AppFactory, visitor: Callable[[SiteClient], Awaitable[SiteClient]]
) -> None:
    stranger = await visitor(ops.site)
    for header in ("Bearer wrong-token-0123456789", "Basic cm9vdDpyb290", "Bearer", OPS_TOKEN):
        response = await stranger.client.get("/api/ops/queue", headers={"Authorization": header})
        assert response.status == 401, header
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await response.json())["error"]
    assert await _forbidden_events(ops) == []  # a bad token is not a forbidden request
    # A wrong token is refused even with an admin session beside it.
    await ops.api("GET", "/api/ops/queue", token="wrong-token-0123456789", status=401)

    without_token = await make_site(
        **ops.settings.model_dump(include={"redis_url", "activity_url"})
    )
    response = await without_token.client.get(
        "/api/ops/queue", headers={"Authorization": f"Bearer {OPS_TOKEN}"}
    )
    assert response.status == 401
    assert "OPS_TOKEN is not set" in (await response.json())["error"]


async def test_the_token_and_an_admin_session_both_work(ops: Ops) -> None:
    by_token = await ops.api("GET", "/api/ops/queue")
    by_session = await ops.api("GET", "/api/ops/queue", token=None)
    assert by_token["depth"] == by_session["depth"] == 1  # the admin's login event


async def test_cookie_calls_that_change_something_need_the_csrf_header(ops: Ops) -> None:
    body = await ops.api("POST", "/api/ops/dead-letters/retry-all", token=None, status=403)
    assert "X-CSRF-Token" in body["error"]
    forged = {"X-CSRF-Token": "forged"}
    await ops.api("POST", "/api/ops/dead-letters/retry-all", token=None, headers=forged, status=403)
    assert (await ops.session_api("POST", "/api/ops/dead-letters/retry-all"))["retried"] == 0
    # Bearer calls carry no cookie a browser could be tricked into sending: no CSRF needed.
    assert (await ops.api("POST", "/api/ops/dead-letters/retry-all"))["retried"] == 0


async def _raw(ops: Ops, head: bytes) -> tuple[int, bytes]:
    """Send `head` (request line and headers, as raw bytes: aiohttp's client would refuse
    bytes that are not UTF-8) and read the whole answer: its status and body."""
    url = ops.site.client.make_url("/")
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        writer.write(head + b"Host: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
        await writer.wait_closed()
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


async def test_header_bytes_that_are_not_utf8_are_refused_not_a_500(ops: Ops) -> None:
    status, body = await _raw(
        ops, b"GET /api/ops/queue HTTP/1.1\r\nAuthorization: Bearer \xff\xfe-token\r\n"
    )
    assert (status, b"Wrong ops token." in body) == (401, True)
    await ops.site.csrf("/")  # the session has a CSRF token to compare with
    cookies = "; ".join(f"{c.key}={c.value}" for c in ops.site.client.session.cookie_jar)
    status, body = await _raw(
        ops,
        b"POST /api/ops/dead-letters/retry-all HTTP/1.1\r\nCookie: "
        + cookies.encode()
        + b"\r\nX-CSRF-Token: \xff\xfe\r\n",
    )
    assert (status, b"X-CSRF-Token" in body) == (403, True)
