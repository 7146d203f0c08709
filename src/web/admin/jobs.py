"""`/admin/jobs`: jobs by state, one job's story, abort, and enqueue from the allow-list.

The pages work as plain HTML forms; `admin.js` sends the same actions to the ops API and
refreshes, so both paths end in the same service call.
"""

from __future__ import annotations

from aiohttp import web

from src.web.admin.forms import enqueue_form
from src.web.admin.page import (
    admin_page,
    operator,
    paging,
    query_choice,
    redirect,
    render_page,
    set_notice,
)
from src.web.ops import JOB_STATUSES, OpsService, ops_service

__all__ = ["add_routes"]

ID = "{id:[^/]{1,200}}"
STATUS_LABELS = {
    "queued": "Queued",
    "deferred": "Deferred",
    "in_progress": "In progress",
    "complete": "Done",
    "failed": "Failed",
}
ABORTABLE = frozenset({"queued", "deferred", "in_progress"})
ABORT_WORDS = {"removed": "taken off the queue", "aborted": "aborted while running"}


@admin_page("jobs")
async def jobs_page(request: web.Request) -> web.StreamResponse:
    """One page of jobs in one state, with the enqueue form."""
    status = query_choice(request, "status", JOB_STATUSES, "queued")
    page = await ops_service(request).jobs(status, **paging(request))
    context = {
        "status": status,
        "labels": STATUS_LABELS,
        "page": page,
        "allowed": OpsService.allowed_jobs(),
        "abortable": ABORTABLE,
    }
    return await render_page(request, "jobs.html", "jobs", context)


@admin_page("jobs")
async def job_page(request: web.Request) -> web.StreamResponse:
    """One job: function, arguments, tries, times, result or error with traceback, log."""
    job = await ops_service(request).job(request.match_info["id"])
    context = {"job": job, "labels": STATUS_LABELS, "abortable": ABORTABLE}
    return await render_page(request, "job.html", "jobs", context)


@admin_page("jobs")
async def abort_job(request: web.Request) -> web.StreamResponse:
    """Abort a queued, deferred or running job (the form's POST), then show the job."""
    job_id = request.match_info["id"]
    report = await ops_service(request).abort(job_id, operator=operator(request))
    done = ABORT_WORDS.get(str(report["outcome"]), "aborted")
    parked = " Its event is in the dead letters." if report.get("parked") else ""
    if report.get("unreadable"):
        parked = " Its payload could not be decoded, so nothing was kept of it."
    await set_notice(request, f"Job {job_id} was {done}.{parked}")
    if report["outcome"] == "removed" and not report.get("parked"):
        raise redirect(request, "admin.jobs")  # nothing is left of it to show
    raise redirect(request, "admin.job", id=job_id)


@admin_page("jobs")
async def enqueue_job(request: web.Request) -> web.StreamResponse:
    """Queue an allow-listed job (the form's POST), then show it."""
    function, args = await enqueue_form(request)
    queued = await ops_service(request).enqueue(function, args, operator=operator(request))
    await set_notice(request, f"Queued {queued['function']} as job {queued['job_id']}.")
    raise redirect(request, "admin.job", id=queued["job_id"])


def add_routes(router: web.UrlDispatcher) -> None:
    """Register `admin.jobs` (GET list, POST enqueue), `admin.job`, `admin.job_abort`."""
    jobs = router.add_resource("/admin/jobs", name="admin.jobs")
    jobs.add_route("GET", jobs_page)
    jobs.add_route("POST", enqueue_job)
    router.add_get(f"/admin/jobs/{ID}", job_page, name="admin.job")
    router.add_post(f"/admin/jobs/{ID}/abort", abort_job, name="admin.job_abort")
