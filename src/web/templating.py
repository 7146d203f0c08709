"""Jinja2 for the site: autoescaped templates from the package, and what every page needs.

`render(request, name, context)` draws a page. Every template sees `request`,
`current_user`, `csrf_token` (for the hidden field of its forms), `activity_mode`, the
helpers `url(name, **parts)` and `static(filename)` (a versioned URL), and the filters
`markdown`, `ago` and `iso`. The page context is built only when a page is drawn, never for
redirects, JSON or static files (aiohttp-jinja2's context processors would build it for all).

What does not change per request is computed once: templates are compiled on first use and
never checked on disk again (unless `WEB_AUTO_RELOAD`, for development), static URLs carry
the hash of their file's content read at start, and `url()` fills in each route's pattern
instead of asking the router (a front page builds about a hundred URLs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp_jinja2
import jinja2
from aiohttp import web
from yarl import URL

from src.web.app_keys import SETTINGS
from src.web.auth import current_user
from src.web.markdown import render_markdown
from src.web.models import utcnow
from src.web.security.csrf import csrf_token

__all__ = ["RouteUrls", "StaticFiles", "render", "setup_templates"]

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static"


class StaticFiles:
    """The files under a directory and their URLs, each with a hash of its content.

    The hashes are read once, on first use: a changed file gets a new URL at the next start,
    so a browser can keep a file for as long as its URL stays the same. With `reload` (for
    development) they are read again on every use.
    """

    def __init__(
        self, directory: Path = STATIC_DIR, prefix: str = STATIC_PREFIX, *, reload: bool = False
    ) -> None:
        self.directory = directory
        self.prefix = prefix
        self.reload = reload
        self._urls: dict[str, str] | None = None

    def _read(self) -> dict[str, str]:
        return {
            path.relative_to(self.directory).as_posix(): self._versioned(path)
            for path in sorted(self.directory.rglob("*"))
            if path.is_file()
        }

    def _versioned(self, path: Path) -> str:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:20]
        return f"{self.prefix}/{quote(path.relative_to(self.directory).as_posix())}?v={digest}"

    def url(self, filename: str) -> str:
        """The versioned URL of `filename` (relative to the directory); `LookupError` if there
        is no such file, so a template naming a missing file fails at once."""
        if self._urls is None or self.reload:
            self._urls = self._read()
        try:
            return self._urls[filename]
        except KeyError:
            raise LookupError(f"no static file {filename!r} in {self.directory}") from None


class RouteUrls:
    """`url(name, query_=None, **parts)` for templates: the route's pattern, filled in.

    The same URLs `router[name].url_for(**parts)` builds (parts are quoted the same way), from
    patterns read once per route, without building a `yarl.URL` per link.
    """

    def __init__(self, router: web.UrlDispatcher) -> None:
        self._router = router
        self._patterns: dict[str, str] = {}

    def _pattern(self, name: str) -> str:
        pattern = self._patterns.get(name)
        if pattern is None:
            info = self._router[name].get_info()
            pattern = info.get("formatter") or info.get("path")
            if not isinstance(pattern, str):
                raise LookupError(f"route {name!r} has no URL pattern")
            self._patterns[name] = pattern
        return pattern

    def __call__(
        self, name: str, query_: Mapping[str, str] | None = None, **parts: str | int
    ) -> str:
        pattern = self._pattern(name)
        url = (
            pattern.format_map({key: quote(str(value), safe="") for key, value in parts.items()})
            if parts
            else pattern
        )
        if query_:
            url = str(URL(url, encoded=True).with_query(query_))
        return url


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


def setup_templates(app: web.Application, static: StaticFiles | None = None) -> None:
    """Install aiohttp-jinja2 with the package's templates, compiled once (re-read when they
    change only with `WEB_AUTO_RELOAD`), and serve the static files under `/static`."""
    reload = app[SETTINGS].web_auto_reload
    static = static or StaticFiles(reload=reload)
    app.router.add_static(static.prefix, static.directory, name="static")
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("src.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=reload,
        default_helpers=False,
    )
    environment.globals["static"] = static.url
    environment.globals["url"] = RouteUrls(app.router)
    environment.filters["markdown"] = render_markdown
    environment.filters["ago"] = ago
    environment.filters["iso"] = iso
