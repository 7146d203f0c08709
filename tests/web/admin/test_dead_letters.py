"""The dead letters pages: the list, one entry's error history, and retry (one or all) and
delete as plain forms; a retried event is delivered once by a real worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from src.jobs import DeadLetter, DeadLetterStore
from src.web.ops.service import RETRY_ALL_BATCH
from tests.support.waiting import eventually
from tests.web.admin.drain import queue_drained
from tests.web.ops.conftest import Ops, traced_event

HISTORY = [
    {"try": 1, "at": "2026-11-22T10:01:12.000+00:00", "outcome": "retry", "duration": 0.012,
     "status": 503, "error": "HTTP 503: unavailable", "delay": 0.5},
    {"try": 2, "at": "2026-11-22T10:01:13.000+00:00", "outcome": "rejected", "duration": 0.01,
     "status": 422, "error": "HTTP 422: the event is not valid"},
]  # fmt: skip


async def _park(ops: Ops, count: int) -> list[dict[str, Any]]:
    events = [traced_event() for _ in range(count)]
    for event in events:
        await DeadLetterStore(ops.pool).add(
            DeadLetter(
                id=event["id"],
                event=event,
                error="HTTP 503",
                reason="exhausted",
                tries=2,
                status=503,
                history=HISTORY,
            )
        )
    return events


async def test_the_list_and_one_entry(ops: Ops) -> None:
    events = await _park(ops, 3)
    html = await ops.site.page("/admin/dead-letters?limit=2")
    assert "3 parked" in html
    assert "1–2 of 3" in html
    assert html.index(events[2]["id"]) < html.index(events[1]["id"])  # newest first
    assert events[0]["id"] not in html
    assert "Retry all" in html
    entry = await ops.site.page(f"/admin/dead-letters/{events[0]['id']}")
    assert "HTTP 422: the event is not valid" in entry  # the error history
    assert "alice up-voted post 7" in entry  # the event itself
    assert 'class="badge reason-exhausted"' in entry
    for query in ("offset=x", "limit=1000"):
        bad = await ops.site.page(f"/admin/dead-letters?{query}", status=400)
        assert "must be a whole number" in bad
    missing = await ops.site.page("/admin/dead-letters/nope", status=404)
    assert "no dead letter with id" in missing
    assert "No dead letters" not in html


async def test_retry_one_is_delivered_once(ops: Ops, worker: Callable[..., Any]) -> None:
    [event] = await _park(ops, 1)
    response = await ops.site.post(f"/admin/dead-letters/{event['id']}/retry")
    assert response.status == 303
    assert response.headers["Location"] == f"/admin/jobs/{event['id']}"
    html = await ops.site.page(response.headers["Location"])
    assert "queued again; this page shows its delivery." in html
    async with worker():
        await eventually(
            lambda: ops.site.page(f"/admin/jobs/{event['id']}"),
            lambda page: 'data-status="complete"' in page,
        )
        await queue_drained(ops)
    assert (await ops.activity.stored_ids()).count(event["id"]) == 1
    assert ops.answers(event) == [201]  # one run delivered it, and it stored it
    assert "No dead letters" in await ops.site.page("/admin/dead-letters")
    gone = await ops.site.post(f"/admin/dead-letters/{event['id']}/retry")
    assert gone.status == 404


async def test_retry_all_and_delete(ops: Ops) -> None:
    events = await _park(ops, 3)
    response = await ops.site.post(f"/admin/dead-letters/{events[0]['id']}/delete")
    assert (response.status, response.headers["Location"]) == (303, "/admin/dead-letters")
    assert f"Dead letter {events[0]['id']} deleted." in await ops.site.page("/admin/dead-letters")
    response = await ops.site.post("/admin/dead-letters/retry-all")
    assert response.status == 303
    html = await ops.site.page("/admin/dead-letters")
    assert "2 dead letters queued again." in html
    assert "No dead letters" in html
    queued = await ops.api("GET", "/api/ops/jobs?status=queued&limit=200")
    ids = {job["job_id"] for job in queued["items"]}
    assert {events[1]["id"], events[2]["id"]} <= ids
    assert events[0]["id"] not in ids


async def test_retry_all_as_a_form_retries_one_batch_and_says_how_many_are_left(
    ops: Ops,
) -> None:
    await _park(ops, RETRY_ALL_BATCH + 5)
    response = await ops.site.post("/admin/dead-letters/retry-all")
    assert response.status == 303
    html = await ops.site.page("/admin/dead-letters")
    assert f"{RETRY_ALL_BATCH} dead letters queued again. 5 left: retry all again." in html
    assert "5 parked" in html
    await ops.site.post("/admin/dead-letters/retry-all")
    assert "5 dead letters queued again." in await ops.site.page("/admin/dead-letters")
