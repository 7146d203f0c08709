"""Small things every view needs: the request id, page numbers, ids from the path."""

from __future__ import annotations

from aiohttp import web
from yarl import URL

from src.web.security.redirects import safe_next

__all__ = ["page_number", "path_id", "redirect", "safe_next_from"]

MAX_PAGE = 1_000_000


def page_number(request: web.Request) -> int:
    """`?page=` as a number from 1; anything else is a 400 that says what to send."""
    raw = request.query.get("page")
    if raw is None or raw == "":
        return 1
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 7) or not 1 <= int(raw) <= MAX_PAGE:
        raise web.HTTPBadRequest(
            text=f"?page= must be a whole number from 1, like ?page=2 (not {raw[:40]!r})."
        )
    return int(raw)


def path_id(request: web.Request, name: str = "id") -> int:
    """A numeric id from the path (the route only matches digits)."""
    return int(request.match_info[name])


def redirect(location: str | URL) -> web.HTTPSeeOther:
    """The 303 "see other" every successful form answers with."""
    return web.HTTPSeeOther(location=str(location))


def safe_next_from(value: object, default: str | URL) -> str:
    """A `next` value from a form or query, if it stays on this site; else `default`."""
    return safe_next(value if isinstance(value, str) else None, str(default))
