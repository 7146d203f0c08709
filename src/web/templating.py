"""Jinja2 for the site: autoescaped templates from the package, and what every page needs.

`render(request, name, context)` draws a page. Every template sees `request`,
`current_user`, `csrf_token` (for the hidden field of its forms), `activity_mode`, the
helpers `url(name, **parts)` and `static(filename)` (a versioned URL), and the filters
`markdown`, `ago` and `iso`. The page context is built only when a page is drawn, never for
redirects, JSON or static files (aiohttp-jinja2's context processors would build it for all).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import aiohttp_jinja2
import jinja2
from aiohttp import web

from .auth import current_user
from .keys import SETTINGS
from .markdown import render_markdown
from .models import utcnow
from .security.csrf import csrf_token

__all__ = ["render", "setup_templates"]


@jinja2.pass_context
def static_url(context: dict[str, Any], filename: str) -> str:
    """The URL of a file under `static/`, with a hash of its content so caches refresh."""
    app: web.Application = context["app"]
    resource = cast(web.StaticResource, app.router["static"])
    return str(resource.url_for(filename=filename, append_version=True))


def ago(moment: datetime, now: datetime | None = None) -> str:
    """`moment` as people say it: "just now", "5 minutes ago", "3 days ago"."""
    seconds = int(((now or utcnow()) - moment).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("year", 31_536_000), ("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def iso(moment: datetime) -> str:
    """`moment` in ISO 8601, for `<time datetime=...>`."""
    return moment.isoformat(timespec="seconds")


async def page_context(request: web.Request) -> dict[str, Any]:
    """What every page needs, added to each template's context."""
    return {
        "request": request,
        "current_user": await current_user(request),
        "csrf_token": await csrf_token(request),
        "activity_mode": request.app[SETTINGS].activity_mode,
    }


async def render(
    request: web.Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> web.Response:
    """The page `template` drawn with `context` and what every page needs."""
    full_context = {**await page_context(request), **(context or {})}
    response = aiohttp_jinja2.render_template(template, request, full_context, status=status)
    response.headers["Cache-Control"] = "no-store"  # pages carry the user's CSRF token
    return response


def setup_templates(app: web.Application) -> None:
    """Install aiohttp-jinja2 with the package's templates."""
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("src.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["static"] = static_url
    environment.filters["markdown"] = render_markdown
    environment.filters["ago"] = ago
    environment.filters["iso"] = iso
