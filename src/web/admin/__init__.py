"""The operator dashboard's HTML pages under `/admin` (docs/dashboard.md), over `OpsService`.

The admin guard of `src.web.ops` keeps everyone but admins out before any of these run.
Each module adds the routes of one page (names start with `admin.`):

- `overview`: `/admin`, numbers, charts (`charts`) and alerts that update themselves.
- `jobs`: jobs by state, one job, abort, enqueue.
- `dead_letters`: parked events, retry one or all, delete.
- `workers`, `schedules`, `alerts`: what their names say.
- `activity_pages`: the activity log browser, its export, and the chaos controls.

`page` holds what they share (layout, query values, error pages, notices), `formatting`
the Jinja filters (`count`, `duration`, `clock`, `compact_json`, `pretty_json`).
"""

from __future__ import annotations

from aiohttp import web

from src.web.admin import activity_pages, alerts, dead_letters, jobs, overview, schedules, workers
from src.web.admin.formatting import install_filters

__all__ = ["setup_admin"]


def setup_admin(app: web.Application) -> None:
    """Add every dashboard page's routes, and its Jinja filters, to `app`."""
    install_filters(app)
    for module in (overview, jobs, dead_letters, workers, schedules, alerts):
        module.add_routes(app.router)
    activity_pages.add_routes(app.router)
