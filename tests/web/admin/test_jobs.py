"""The jobs pages: lists by state with paging, one job's story (a failed job's traceback and
log lines), abort and enqueue as plain forms, and bad values as 400 pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from src.jobs import enqueue_event
from tests.support.activity import event_body
from tests.support.waiting import eventually
from tests.web.admin.drain import queue_drained
from tests.web.ops.conftest import Ops
from tests.web.ops.pickled import queue_pickled


async def test_queued_jobs_are_listed_page_by_page(ops: Ops) -> None:
    events = [event_body() for _ in range(3)]
    for event in events:
        await enqueue_event(ops.pool, event)
    html = await ops.site.page("/admin/jobs?status=queued&limit=2")
    assert html.count('href="/admin/jobs/') == 2
    assert "1–2 of 4" in html  # three events and root's login
    assert 'href="/admin/jobs?status=queued&amp;offset=2&amp;limit=2"' in html
    last = await ops.site.page("/admin/jobs?status=queued&offset=2&limit=2")
    assert "3–4 of 4" in last
    assert "Next →" not in last
    assert f'action="/admin/jobs/{events[2]["id"]}/abort"' in last + html
    assert "post_activity" in html
    assert "Abort" in html
    assert "check_activity_health" in html  # the enqueue form's allow-list
    empty = await ops.site.page("/admin/jobs?status=failed")
    assert "No failed jobs." in empty


async def test_bad_list_values_are_400_pages_that_say_what_to_send(ops: Ops) -> None:
    cases = {
        "status=sleeping": "status must be one of queued, deferred, in_progress, complete, failed",
        "limit=0": "limit must be a whole number from 1 to 200",
        "limit=500": "limit must be a whole number from 1 to 200",
        "offset=-1": "offset must be a whole number from 0 to",
        "offset=abc": "offset must be a whole number",
    }
    for query, message in cases.items():
        html = await ops.site.page(f"/admin/jobs?{query}", status=400)
        assert message in html, query
    missing = await ops.site.page("/admin/jobs/no-such-job", status=404)
    assert "no job with id &#39;no-such-job&#39;" in missing


async def test_a_failed_job_shows_its_traceback_and_log_lines(
    ops: Ops, worker: Callable[..., Any]
) -> None:
    await ops.activity.stop()
    event = event_body()
    await enqueue_event(ops.pool, event)
    async with worker(ops.settings.model_copy(update={"delivery_max_tries": 2})):
        await eventually(
            lambda: ops.api("GET", f"/api/ops/jobs/{event['id']}"),
            lambda job: job["status"] == "failed" and len(job["log"]) >= 2,
        )
        await queue_drained(ops)
    await ops.activity.start()
    html = await ops.site.page(f"/admin/jobs/{event['id']}")
    assert 'class="badge status-failed"' in html
    assert "EventDeadLettered" in html
    assert '<pre class="code traceback">Traceback (most recent call last):' in html
    assert "failed (try 1 of 2)" in html  # a captured log line
    assert "parked in the dead-letter store" in html
    assert f'href="/admin/dead-letters/{event["id"]}"' in html
    assert "Delivery tries" in html
    listed = await ops.site.page("/admin/jobs?status=failed")
    assert event["id"] in listed
    assert "EventDeadLettered" in listed


async def test_abort_as_a_plain_form(ops: Ops) -> None:
    event = event_body()
    await enqueue_event(ops.pool, event)
    page = await ops.site.page(f"/admin/jobs/{event['id']}")
    assert "Abort this job" in page
    response = await ops.site.post(f"/admin/jobs/{event['id']}/abort")
    assert response.status == 303
    assert response.headers["Location"] == f"/admin/jobs/{event['id']}"
    html = await ops.site.page(f"/admin/jobs/{event['id']}")
    assert "was taken off the queue. Its event is in the dead letters." in html
    assert 'class="badge status-failed"' in html
    again = await ops.site.post(f"/admin/jobs/{event['id']}/abort")
    assert again.status == 404
    forged = await ops.site.post(f"/admin/jobs/{event['id']}/abort", csrf="forged")
    assert forged.status == 403


async def test_enqueue_as_a_plain_form(ops: Ops, worker: Callable[..., Any]) -> None:
    response = await ops.site.post(
        "/admin/jobs", {"function": "check_activity_health", "args": "[]"}
    )
    assert response.status == 303
    job_page = response.headers["Location"]
    assert job_page.startswith("/admin/jobs/health-check-")
    html = await ops.site.page(job_page)
    assert "Queued check_activity_health as job health-check-" in html
    assert 'data-status="queued"' in html
    async with worker():
        await eventually(
            lambda: ops.site.page(job_page), lambda page: 'data-status="complete"' in page
        )
        await queue_drained(ops)
    assert "Result" in await ops.site.page(job_page)

    bad = [
        ("post_activity", "[1", "the arguments are not valid JSON"),
        ("post_activity", "[" * 30_000, "the arguments nest too deeply"),
        ("post_activity", "[" * 30_000 + "]" * 30_000, "the arguments nest too deeply"),
        ("post_activity", "[" + "9" * 5000 + "]", "the arguments hold a number too long"),
        ("rm_rf", "[]", "function &#39;rm_rf&#39; may not be enqueued"),
        ("post_activity", "[]", "takes one argument, the event"),
        ("post_activity", '[{"id": "x"}]', "the event is not valid"),
    ]
    for function, args, message in bad:
        response = await ops.site.post("/admin/jobs", {"function": function, "args": args})
        assert response.status == 400, (function, args)
        assert message in await response.text(), (function, args)


async def test_aborting_a_queued_job_that_leaves_nothing_goes_back_to_the_list(ops: Ops) -> None:
    response = await ops.site.post("/admin/jobs", {"function": "check_activity_health"})
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    response = await ops.site.post(f"/admin/jobs/{job_id}/abort")
    assert (response.status, response.headers["Location"]) == (303, "/admin/jobs")
    assert f"Job {job_id} was taken off the queue." in await ops.site.page("/admin/jobs")


async def test_a_job_whose_payload_cannot_be_decoded_has_a_page(ops: Ops) -> None:
    await queue_pickled(ops.pool, "p-queued")
    html = await ops.site.page("/admin/jobs/p-queued")
    assert 'data-status="queued"' in html
    assert "This job's payload cannot be decoded" in html
    assert "<strong>DeserializationError</strong>" in html
    assert 'action="/admin/jobs/p-queued/abort"' in html
    response = await ops.site.post("/admin/jobs/p-queued/abort")
    assert (response.status, response.headers["Location"]) == (303, "/admin/jobs")
    notice = await ops.site.page("/admin/jobs")
    assert "Job p-queued was taken off the queue. Its payload could not be decoded" in notice
    await queue_pickled(ops.pool, "p-running", running=True)
    refused = await ops.site.post("/admin/jobs/p-running/abort")
    assert refused.status == 409
    assert "payload cannot be decoded here" in await refused.text()
