"""Every route of the ops API against a real Redis, a real arq worker and the real activity
service: listings, one job with its log lines, abort (queued and running), enqueue, dead
letters (retry delivers exactly once), workers, schedules, and bad input as 4xx JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from arq.constants import in_progress_key_prefix
from arq.utils import ms_to_datetime

from src.jobs import DeadLetter, DeadLetterStore, enqueue_event
from src.jobs.queue.redis_keys import DEAD_LETTER_INDEX
from src.web.ops.service import RETRY_ALL_BATCH
from tests.support.activity import event_body
from tests.support.waiting import eventually
from tests.web.conftest import AppFactory
from tests.web.ops.conftest import OPS_TOKEN, Ops, traced_event
from tests.web.ops.pickled import pickled_result, queue_pickled


async def _stored_copies(ops: Ops, event_id: str) -> int:
    return (await ops.activity.stored_ids()).count(event_id)


async def _job(ops: Ops, job_id: str) -> dict[str, Any]:
    return await ops.api("GET", f"/api/ops/jobs/{job_id}")  # type: ignore[no-any-return]


async def test_queue_overview_and_job_lists(ops: Ops) -> None:
    ready = event_body()
    await enqueue_event(ops.pool, ready)
    await ops.pool.enqueue_job("post_activity", event_body(), _job_id="later", _defer_by=600)
    queue = await ops.api("GET", "/api/ops/queue")
    assert (queue["depth"], queue["ready"], queue["deferred"]) == (3, 2, 1)  # + root's login
    assert queue["live_workers"] == 0
    assert isinstance(queue["outbox_backlog"], int)  # root's login row, until purged

    overview = await ops.api("GET", "/api/ops/overview")
    assert overview["queue"]["depth"] == 3
    assert len(overview["series"]) == 60
    assert set(overview["last_hour"]) == {"done", "failed", "retried"}
    assert overview["alerts"]["open"] == 0

    queued = await ops.api("GET", "/api/ops/jobs?status=queued&limit=1&offset=1")
    assert (queued["total"], queued["next_offset"]) == (2, None)
    [item] = queued["items"]
    assert (item["job_id"], item["args"], item["status"]) == (ready["id"], [ready], "queued")
    deferred = await ops.api("GET", "/api/ops/jobs?status=deferred")
    assert [job["job_id"] for job in deferred["items"]] == ["later"]
    for status in ("in_progress", "complete", "failed"):
        assert (await ops.api("GET", f"/api/ops/jobs?status={status}"))["total"] == 0


async def test_bad_input_is_a_4xx_with_a_message(ops: Ops) -> None:
    for query in ("status=sleeping", "limit=0", "limit=201", "offset=-1", "limit=abc"):
        body = await ops.api("GET", f"/api/ops/jobs?{query}", status=400)
        assert body["error"], query
    assert "queued" in (await ops.api("GET", "/api/ops/jobs?status=x", status=400))["allowed"]
    assert (await ops.api("GET", "/api/ops/jobs/no-such-job", status=404))["error"]
    await ops.api("POST", "/api/ops/jobs/no-such-job/abort", status=404)
    await ops.api("GET", "/api/ops/dead-letters/nope", status=404)
    await ops.api("POST", "/api/ops/dead-letters/nope/retry", status=404)
    await ops.api("DELETE", "/api/ops/dead-letters/nope", status=404)
    await ops.api("GET", "/api/ops/alerts?state=closed", status=400)
    await ops.api("GET", "/api/ops/overview?minutes=0", status=400)
    await ops.api("GET", f"/api/ops/jobs/{'x' * 201}", status=404)


async def test_enqueue_takes_only_the_allow_list(ops: Ops) -> None:
    body = await ops.api("POST", "/api/ops/jobs", json={"function": "os.system"}, status=400)
    assert body["allowed"] == ["check_activity_health", "post_activity"]
    assert "may not be enqueued" in body["error"]
    await ops.api("POST", "/api/ops/jobs", data=b"{not json", status=400)
    await ops.api("POST", "/api/ops/jobs", json=["post_activity"], status=400)
    await ops.api("POST", "/api/ops/jobs", json={"args": []}, status=400)
    bad_event = {"function": "post_activity", "args": [{"type": "BAD TYPE"}]}
    assert "fields" in await ops.api("POST", "/api/ops/jobs", json=bad_event, status=400)
    no_id = event_body()
    del no_id["id"]
    await ops.api(
        "POST", "/api/ops/jobs", json={"function": "post_activity", "args": [no_id]}, status=400
    )
    await ops.api(
        "POST", "/api/ops/jobs", json={"function": "check_activity_health", "args": [1]}, status=400
    )
    await ops.api(
        "POST", "/api/ops/jobs", json={"function": "post_activity", "args": "x"}, status=400
    )
    assert (await ops.api("GET", "/api/ops/queue"))["depth"] == 1  # only root's login event
    allowed = await ops.api("GET", "/api/ops/jobs/allowed")
    assert [job["function"] for job in allowed["items"]] == [
        "check_activity_health",
        "post_activity",
    ]


async def test_json_that_python_cannot_read_is_a_4xx_not_a_500(ops: Ops) -> None:
    """Not only syntax errors: nesting that exhausts the parser's stack, an integer of
    thousands of digits, bytes that are not UTF-8 and a charset that does not exist."""
    as_json = {"Content-Type": "application/json"}
    bodies = {
        b"[" * 50_000: "nests too deeply",
        b"[" * 50_000 + b"]" * 50_000: "nests too deeply",
        b'{"function": "check_activity_health", "args": [' + b"9" * 5000 + b"]}": "too long",
        b'{"function": "' + bytes([0xFF]) + b'"}': "not UTF-8",
        b"{not json": "not valid JSON (Expecting property name",
    }
    for raw, message in bodies.items():
        body = await ops.api("POST", "/api/ops/jobs", data=raw, headers=as_json, status=400)
        assert message in body["error"], (raw[:40], body)
        assert '{"function": ..., "args": [...]}' in body["error"]
    health = b'{"function": "check_activity_health"}'
    for charset in ("nope", "latin-1"):
        headers = {"Content-Type": f"application/json; charset={charset}"}
        body = await ops.api("POST", "/api/ops/jobs", data=health, headers=headers, status=415)
        assert f"charset {charset!r}" in body["error"]
    assert (await ops.api("GET", "/api/ops/queue"))["depth"] == 1  # only root's login event
    utf8 = {"Content-Type": "application/json; charset=UTF-8"}
    queued = await ops.api("POST", "/api/ops/jobs", data=health, headers=utf8)
    assert queued["function"] == "check_activity_health"


async def test_enqueued_jobs_run_on_the_worker(ops: Ops, worker: Callable[..., Any]) -> None:
    event = event_body()
    redelivery = {"function": "post_activity", "args": [event]}
    queued = await ops.api("POST", "/api/ops/jobs", json=redelivery)
    assert queued["job_id"] == event["id"]
    await ops.api("POST", "/api/ops/jobs", json=redelivery, status=409)  # queued already
    health = await ops.api("POST", "/api/ops/jobs", json={"function": "check_activity_health"})
    async with worker():
        done = await eventually(
            lambda: _job(ops, health["job_id"]), lambda job: job["status"] == "complete"
        )
        assert done["result"]["ok"] is True
        delivered = await eventually(
            lambda: _job(ops, event["id"]), lambda job: job["status"] == "complete"
        )
        assert delivered["result"]["created"] is True
        # Re-delivering a delivered event stores no second copy.
        await ops.api("POST", "/api/ops/jobs", json=redelivery)
        again = await eventually(
            lambda: _job(ops, event["id"]),
            lambda job: job["status"] == "complete" and job["result"]["created"] is False,
        )
        assert again["result"]["status"] == 200
    assert await _stored_copies(ops, event["id"]) == 1
    complete = await ops.api("GET", "/api/ops/jobs?status=complete")
    assert event["id"] in [job["job_id"] for job in complete["items"]]


async def test_aborting_a_queued_job_parks_its_event(ops: Ops) -> None:
    event = event_body()
    await enqueue_event(ops.pool, event)
    body = await ops.api("POST", f"/api/ops/jobs/{event['id']}/abort")
    assert body == {
        "job_id": event["id"],
        "outcome": "removed",
        "function": "post_activity",
        "parked": True,
        "unreadable": False,
    }
    assert (await ops.api("GET", "/api/ops/jobs?status=queued"))["total"] == 1  # root's login
    letter = await ops.api("GET", f"/api/ops/dead-letters/{event['id']}")
    assert (letter["reason"], letter["event"]) == ("aborted", event)
    assert letter["error"] == "aborted by ops-token (token) while queued"
    job = await _job(ops, event["id"])
    assert (job["status"], job["dead_letter"]["reason"]) == ("failed", "aborted")
    await ops.api("POST", f"/api/ops/jobs/{event['id']}/abort", status=404)


async def test_aborting_a_running_job_cancels_it_and_a_retry_delivers_once(
    ops: Ops, worker: Callable[..., Any]
) -> None:
    await ops.activity.call("set_chaos", sleep_time=30)  # stores, then holds the answer
    event = traced_event()
    await enqueue_event(ops.pool, event)
    async with worker():
        await eventually(
            lambda: ops.pool.exists(in_progress_key_prefix + event["id"]),
            bool,
            what="the delivery to start",
        )
        await eventually(lambda: _stored_copies(ops, event["id"]), lambda n: n == 1)
        body = await ops.api("POST", f"/api/ops/jobs/{event['id']}/abort")
        assert (body["outcome"], body["parked"]) == ("aborted", True)
        job = await _job(ops, event["id"])
        assert job["error"]["type"] == "CancelledError"
        assert job["dead_letter"]["error"] == "aborted by ops-token (token) while running"

        await ops.activity.call("set_chaos", sleep_time=0)
        assert (await ops.api("POST", f"/api/ops/dead-letters/{event['id']}/retry"))["requeued"]
        done = await eventually(
            lambda: _job(ops, event["id"]), lambda job: job["status"] == "complete"
        )
        assert done["result"]["status"] == 200  # the service had it: stored once
        assert done["result"]["created"] is False  # the cancelled run had stored it
        assert ops.answers(event).count(200) == 1  # and the retry ran once
    assert await _stored_copies(ops, event["id"]) == 1
    assert (await ops.api("GET", "/api/ops/dead-letters"))["total"] == 0


async def test_a_job_whose_payload_cannot_be_decoded_is_shown_and_aborted(ops: Ops) -> None:
    """A pickled job (stock arq, mid-upgrade) is shown as unreadable, never a 500."""
    score = await queue_pickled(ops.pool, "p-queued")
    await queue_pickled(ops.pool, "p-later", defer_ms=600_000)
    await queue_pickled(ops.pool, "p-running", running=True)
    await pickled_result(ops.pool, "p-done")
    queued = await _job(ops, "p-queued")
    assert (queued["status"], queued["unreadable"], queued["function"]) == ("queued", True, None)
    assert queued["next_run"] == ms_to_datetime(score).isoformat(timespec="milliseconds")
    assert queued["error"]["type"] == "DeserializationError"
    assert "payload cannot be decoded" in queued["error"]["message"]
    assert (await _job(ops, "p-later"))["status"] == "deferred"
    assert (await _job(ops, "p-running"))["status"] == "in_progress"
    done = await _job(ops, "p-done")
    assert (done["status"], done["unreadable"], done["success"]) == ("complete", True, None)
    ready = await _job(ops, (await ops.api("GET", "/api/ops/jobs"))["items"][0]["job_id"])
    assert ready["unreadable"] is False  # root's login, readable

    for job_id in ("p-queued", "p-later"):  # waiting: taken out, nothing to park
        body = await ops.api("POST", f"/api/ops/jobs/{job_id}/abort")
        assert body == {
            "job_id": job_id,
            "outcome": "removed",
            "function": None,
            "parked": False,
            "unreadable": True,
        }
        await ops.api("GET", f"/api/ops/jobs/{job_id}", status=404)
    running = await ops.api("POST", "/api/ops/jobs/p-running/abort", status=409)
    assert "payload cannot be decoded" in running["error"]
    assert "left running" in running["error"]
    assert (await _job(ops, "p-running"))["status"] == "in_progress"  # left alone
    finished = await ops.api("POST", "/api/ops/jobs/p-done/abort", status=409)
    assert "finished already" in finished["error"]
    assert (await ops.api("GET", "/api/ops/dead-letters"))["total"] == 0


async def test_a_delivery_in_flight_is_listed_in_progress(
    ops: Ops, worker: Callable[..., Any]
) -> None:
    await ops.activity.call("set_chaos", sleep_time=30)  # each POST is held: jobs stay running
    event = traced_event()
    await enqueue_event(ops.pool, event)
    async with worker():
        running = await eventually(
            lambda: ops.api("GET", "/api/ops/jobs?status=in_progress"),
            lambda body: event["id"] in [item["job_id"] for item in body["items"]],
            what="the delivery listed in progress",
        )
        [item] = [item for item in running["items"] if item["job_id"] == event["id"]]
        assert (item["status"], item["function"], item["args"]) == (
            "in_progress",
            "post_activity",
            [event],
        )
        assert item["tries"] == 1
        assert running["total"] == len(running["items"]) == 2  # and root's login event
        second = await ops.api("GET", "/api/ops/jobs?status=in_progress&offset=1&limit=1")
        assert (second["total"], len(second["items"]), second["next_offset"]) == (2, 1, None)
        assert second["items"][0]["job_id"] == running["items"][1]["job_id"]
        assert ops.answers(event) == []  # the POST is still held by the service
        await ops.activity.call("set_chaos", sleep_time=0)
        for job in running["items"]:  # so the worker stops at once
            await ops.api("POST", f"/api/ops/jobs/{job['job_id']}/abort")


async def test_dead_letters_list_retry_all_and_delete(ops: Ops, worker: Callable[..., Any]) -> None:
    store = DeadLetterStore(ops.pool)
    events = [traced_event() for _ in range(3)]
    for event in events:
        await store.add(
            DeadLetter(id=event["id"], event=event, error="HTTP 503", reason="exhausted", tries=25)
        )
    page = await ops.api("GET", "/api/ops/dead-letters?limit=2")
    assert (page["total"], page["next_offset"], len(page["items"])) == (3, 2, 2)
    assert page["items"][0]["id"] == events[2]["id"]  # newest first
    assert (await ops.api("DELETE", f"/api/ops/dead-letters/{events[0]['id']}"))["deleted"]
    retried = await ops.api("POST", "/api/ops/dead-letters/retry-all")
    assert retried == {"retried": 2, "already_queued": 0, "remaining": 0}
    async with worker():
        for event in events[1:]:
            done = await eventually(
                lambda event=event: _job(ops, event["id"]), lambda job: job["status"] == "complete"
            )
            assert done["result"]["created"] is True
    stored = await ops.activity.stored_ids()
    assert [stored.count(event["id"]) for event in events] == [0, 1, 1]
    assert [ops.answers(event) for event in events] == [[], [201], [201]]  # one run each


async def test_retry_all_retries_one_bounded_batch_per_call_oldest_first(ops: Ops) -> None:
    """At most RETRY_ALL_BATCH letters a call (5 Redis round trips each), so no call takes
    long however many are parked; `remaining` tells the caller to go on."""
    store = DeadLetterStore(ops.pool)
    events = [event_body() for _ in range(RETRY_ALL_BATCH + 50)]
    for event in events:
        await store.add(
            DeadLetter(id=event["id"], event=event, error="x", reason="exhausted", tries=1)
        )
    # Parked a millisecond apart each, so "oldest" is well defined (adds share milliseconds).
    await ops.pool.zadd(DEAD_LETTER_INDEX, {event["id"]: n for n, event in enumerate(events)})
    await ops.api(
        "POST", f"/api/ops/dead-letters/retry-all?limit={RETRY_ALL_BATCH + 1}", status=400
    )
    first = await ops.api("POST", "/api/ops/dead-letters/retry-all")
    assert first == {"retried": RETRY_ALL_BATCH, "already_queued": 0, "remaining": 50}
    parked = {
        entry["id"] for entry in (await ops.api("GET", "/api/ops/dead-letters?limit=200"))["items"]
    }
    assert parked == {event["id"] for event in events[RETRY_ALL_BATCH:]}  # the oldest went first
    assert (await ops.api("GET", "/api/ops/queue"))["depth"] == 1 + RETRY_ALL_BATCH
    some = await ops.api("POST", "/api/ops/dead-letters/retry-all?limit=20")
    assert some == {"retried": 20, "already_queued": 0, "remaining": 30}
    last = await ops.api("POST", "/api/ops/dead-letters/retry-all")
    assert last == {"retried": 30, "already_queued": 0, "remaining": 0}
    queued = (await ops.api("GET", "/api/ops/queue"))["depth"]
    assert queued == 1 + len(events)  # root's login and each event once


async def test_a_job_page_shows_its_log_lines_and_traceback(
    ops: Ops, worker: Callable[..., Any]
) -> None:
    await ops.activity.stop()
    event = event_body()
    await enqueue_event(ops.pool, event)
    async with worker(ops.settings.model_copy(update={"delivery_max_tries": 2})):
        job = await eventually(
            lambda: _job(ops, event["id"]),
            lambda job: job["status"] == "failed" and len(job["log"]) >= 2,
        )
    assert job["error"]["type"] == "EventDeadLettered"
    assert "Traceback" in job["error"]["traceback"]
    messages = [line["message"] for line in job["log"]]
    assert any("failed (try 1 of 2)" in message for message in messages), messages
    assert any("parked in the dead-letter store" in message for message in messages), messages
    assert {line["level"] for line in job["log"]} >= {"INFO", "WARNING"}
    failed = await ops.api("GET", "/api/ops/jobs?status=failed")
    assert event["id"] in [item["job_id"] for item in failed["items"]]  # root's login too
    await ops.activity.start()


async def test_workers_and_schedules(ops: Ops, worker: Callable[..., Any]) -> None:
    async with worker() as running:
        del running
        workers = await eventually(
            lambda: ops.api("GET", "/api/ops/workers"), lambda body: len(body["live"]) == 1
        )
        [live] = workers["live"]
        assert {"host", "pid", "started", "done", "failed", "running", "last_beat"} <= set(live)
        schedules = await eventually(
            lambda: ops.api("GET", "/api/ops/schedules"),
            lambda body: body["items"] and body["items"][0]["last_run"] is not None,
        )
    [health] = schedules["items"]
    assert (health["name"], health["schedule"]) == (
        "cron:check_activity_health",
        "every 10 seconds",
    )
    assert health["last_run"]["outcome"] == "ok"
    assert health["last_run"]["duration"] >= 0
    asked = datetime.now(UTC)
    next_run = datetime.fromisoformat(
        (await ops.api("GET", "/api/ops/schedules"))["items"][0]["next_run"]
    )
    # The next 10 s boundary after the moment it was asked (arq's next_cron looks 1 s ahead).
    assert (next_run.second % 10, next_run.microsecond, next_run.utcoffset()) == (
        0,
        0,
        timedelta(0),
    )
    assert asked < next_run <= datetime.now(UTC) + timedelta(seconds=11)
    assert next_run > datetime.fromisoformat(health["last_run"]["started"])
    assert health["recent_runs"][0] == health["last_run"]
    gone = (await ops.api("GET", "/api/ops/workers"))["gone"]
    assert [(w["state"], w["id"]) for w in gone] == [("stopped", live["id"])]


async def test_alert_listing(ops: Ops) -> None:
    await ops.alerts.raise_alert("queue_depth", "arq:queue", "too deep")
    await ops.alerts.raise_alert("forbidden", "mallory", "nope")
    await ops.alerts.resolve("queue_depth", "arq:queue")
    every = await ops.api("GET", "/api/ops/alerts")
    assert [(a["kind"], a["state"]) for a in every["items"]] == [
        ("forbidden", "open"),
        ("queue_depth", "resolved"),
    ]
    opened = await ops.api("GET", "/api/ops/alerts?state=open")
    assert [a["subject"] for a in opened["items"]] == ["mallory"]


async def test_without_redis_the_api_says_so_with_503(make_site: AppFactory) -> None:
    site = await make_site(ops_token=OPS_TOKEN)  # ACTIVITY_MODE=off, no REDIS_URL
    response = await site.client.get(
        "/api/ops/queue", headers={"Authorization": f"Bearer {OPS_TOKEN}"}
    )
    assert response.status == 503
    assert "REDIS_URL" in (await response.json())["error"]
