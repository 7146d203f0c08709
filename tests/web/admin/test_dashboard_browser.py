"""The dashboard in a real headless Chromium (Playwright), on the real suite: an admin logs
in, watches the overview's queue depth change while events flow (without reloading), opens a
failed job and sees its traceback, and retries a dead letter and sees it delivered.

With WOLFIT_SCREENSHOTS=1 it saves the overview, a job page, the dead letters and the
activity browser to docs/screenshots/ (never in CI, so the tree stays clean)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from src.jobs import DeadLetter, DeadLetterStore, enqueue_event
from src.web.ops.service import RETRY_ALL_BATCH
from tests.support.activity import event_body
from tests.support.browser import BROWSER_MARKS, chromium_page, screenshot
from tests.support.site_client import PASSWORD
from tests.support.waiting import eventually
from tests.web.admin.drain import queue_drained
from tests.web.ops.conftest import Ops, traced_event

pytestmark = BROWSER_MARKS


@pytest.fixture
async def page(ops: Ops) -> AsyncIterator[Any]:
    async with chromium_page(str(ops.site.client.make_url("/")), width=1280) as page:
        yield page


async def _flow(ops: Ops, count: int, what: str) -> list[dict[str, Any]]:
    """Enqueue `count` events one by one, as a busy site would."""
    events = [traced_event(details=f"{what} {n + 1} of {count}") for n in range(count)]
    for event in events:
        await enqueue_event(ops.pool, event)
        await asyncio.sleep(0.05)
    return events


async def test_the_dashboard_in_a_browser(ops: Ops, page: Any, worker: Callable[..., Any]) -> None:
    from playwright.async_api import expect

    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    await page.goto("/login?next=/admin")
    await page.get_by_label("Username").fill("root")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    await page.evaluate("window.stillTheSamePage = true")  # gone if the page reloads

    depth = page.locator('[data-field="queue.depth"]')
    before = int(await depth.inner_text())
    await _flow(ops, 6, "vote")
    await expect(depth).to_have_text(str(before + 6))
    async with worker(ops.settings.model_copy(update={"delivery_max_tries": 2})):
        await expect(depth).to_have_text("0")
        await expect(page.locator('[data-field="last_hour.done"]')).to_have_text(str(before + 6))
        await expect(page.locator('[data-field="queue.live_workers"]')).to_have_text("1")

        # The activity service goes away: two deliveries fail twice and are parked.
        await ops.activity.stop()
        failed = await _flow(ops, 2, "vote while the service is down")
        await expect(page.locator('[data-field="queue.dead_letters"]')).to_have_text("2")
        failures = page.locator('[data-field="last_hour.failed"]')
        await expect(failures).to_have_text("2", timeout=15_000)  # the worker's next report
        await ops.alerts.evaluate()  # the dead-letter alert, without waiting for the timer
        await expect(page.locator("#open-alerts")).to_contain_text("dead letter")
        assert await page.evaluate("window.stillTheSamePage") is True
        await expect(page.locator("svg[data-chart=throughput] rect.bar-done")).not_to_have_count(0)
        await screenshot(page, "admin-overview.png")

        # A failed job: its error, traceback and log lines.
        nav = page.get_by_role("navigation", name="Dashboard")
        await nav.get_by_role("link", name="Jobs").click()
        await page.get_by_role("link", name="Failed").click()
        await page.get_by_role("link", name=failed[0]["id"][:20]).click()
        await expect(page.locator("#job-status")).to_have_text("Failed")
        await expect(page.locator("#job-error .traceback")).to_contain_text(
            "Traceback (most recent call last)"
        )
        await expect(page.locator("#job-error")).to_contain_text("EventDeadLettered")
        await expect(page.locator(".log-table")).to_contain_text("parked in the dead-letter store")
        await screenshot(page, "admin-job.png")

        # The service is back: retry one dead letter and watch it delivered.
        await ops.activity.start()
        await nav.get_by_role("link", name="Dead letters").click()
        await expect(page.locator(".table tbody tr")).to_have_count(2)
        await screenshot(page, "admin-dead-letters.png")
        row = page.locator("tr", has=page.get_by_role("link", name=failed[0]["id"][:20]))
        await row.get_by_role("button", name="Retry").click()
        await expect(page).to_have_url(f"/admin/jobs/{failed[0]['id']}")
        await expect(page.locator(".notice")).to_contain_text("queued again")
        await expect(page.locator("#job-status")).to_have_text("Done", timeout=15_000)
        await eventually(
            ops.activity.stored_ids,
            lambda ids: ids.count(failed[0]["id"]) == 1,
            what="the retried event stored once",
        )
        # Its two failed tries reached no service; the retry's one run stored it.
        assert ops.answers(failed[0]) == [201]
        await queue_drained(ops)
    assert await page.locator(".badge.status-complete").count() == 1

    await page.goto("/admin/activity")
    await expect(page.get_by_role("heading", name="Activity log")).to_be_visible()
    await expect(page.locator(".activity-table")).to_contain_text("vote 1 of 6")  # stored
    await screenshot(page, "admin-activity.png")
    assert errors == []  # no CSP violation or script error on the way


async def test_enqueue_and_abort_through_the_ops_api(ops: Ops, page: Any) -> None:
    from playwright.async_api import expect

    await page.goto("/login?next=/admin/jobs")
    await page.get_by_label("Username").fill("root")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name="Jobs")).to_be_visible()

    form = page.locator(".enqueue-form")
    await form.get_by_label("Function").select_option("post_activity")
    await form.get_by_label("Arguments (JSON array)").fill("[{oops")
    await form.get_by_role("button", name="Enqueue").click()
    await expect(form.locator(".action-error")).to_contain_text("not valid JSON")
    await form.get_by_label("Arguments (JSON array)").fill("[]")
    await form.get_by_role("button", name="Enqueue").click()
    await expect(form.locator(".action-error")).to_contain_text("takes one argument, the event")

    await form.get_by_label("Function").select_option("check_activity_health")
    await form.get_by_role("button", name="Enqueue").click()
    await expect(page).to_have_url(re.compile(r"/admin/jobs/health-check-"))
    await expect(page.locator(".notice")).to_contain_text("Queued check_activity_health")
    await expect(page.locator("#job-status")).to_have_text("Queued")

    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.get_by_role("button", name="Abort this job").click()
    await expect(page).to_have_url(re.compile(r"/admin/jobs$"))
    await expect(page.locator(".notice")).to_contain_text("was taken off the queue")
    queued = await ops.api("GET", "/api/ops/jobs?status=queued&limit=200")
    assert {job["function"] for job in queued["items"]} == {"post_activity"}  # logins only


async def test_retry_all_goes_on_until_every_dead_letter_is_queued(ops: Ops, page: Any) -> None:
    """The server retries one batch a call; the page calls again until none are left."""
    from playwright.async_api import expect

    store = DeadLetterStore(ops.pool)
    for _ in range(RETRY_ALL_BATCH + 20):
        event = event_body()
        await store.add(
            DeadLetter(id=event["id"], event=event, error="HTTP 503", reason="exhausted", tries=2)
        )
    await page.goto("/login?next=/admin/dead-letters")
    await page.get_by_label("Username").fill("root")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_text(f"{RETRY_ALL_BATCH + 20} parked")).to_be_visible()
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.get_by_role("button", name="Retry all").click()
    await expect(page.locator(".notice")).to_have_text(
        f"{RETRY_ALL_BATCH + 20} dead letters queued again."
    )
    await expect(page.get_by_text("No dead letters")).to_be_visible()
    assert await store.count() == 0


async def test_the_overview_polls_on_a_fixed_period_however_slow_the_answer(
    ops: Ops, page: Any
) -> None:
    """The page's clock is Playwright's: an answer that takes 500 ms (of that clock) does not
    push the next poll later than 2 s after the previous one started."""
    from playwright.async_api import expect

    held: list[Any] = []

    async def hold(route: Any) -> None:
        held.append(route)

    await page.goto("/login")
    await page.get_by_label("Username").fill("root")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("/")
    await page.route("**/api/ops/overview*", hold)
    await page.clock.install()
    await page.goto("/admin")
    await page.clock.pause_at(await page.evaluate("Date.now() + 1"))  # time moves on our say

    async def polls() -> int:
        return len(held)

    await page.clock.run_for(2000)
    await eventually(polls, lambda n: n == 1, what="the first poll")
    await page.clock.run_for(500)  # the answer is slow
    answer = await held[0].fetch()
    marker = "2030-01-01T00:00:00.000+00:00"
    await held[0].fulfill(response=answer, json={**await answer.json(), "generated_at": marker})
    await expect(page.locator("#generated-at")).to_have_attribute("datetime", marker)
    await page.clock.run_for(1500)  # 2 s after the first poll started
    await eventually(polls, lambda n: n == 2, timeout=5, what="the second poll, on time")
