"""Who is asking: the logged-in user of a request, and the redirect to the login page."""

from __future__ import annotations

from aiohttp import web

from src.web.app_keys import CURRENT_USER, DATABASE, Viewer
from src.web.data.users import UserRecord, get_user
from src.web.security.sessions import session_user_id

__all__ = ["current_user", "login_redirect", "require_user"]


async def current_user(request: web.Request) -> UserRecord | None:
    """The logged-in user, or None; loaded from the database once per request."""
    if CURRENT_USER in request:
        return request[CURRENT_USER].user
    user_id = await session_user_id(request)
    user = None
    if user_id is not None:
        user = await request.app[DATABASE].read(get_user, user_id)
    request[CURRENT_USER] = Viewer(user)
    return user


def login_redirect(request: web.Request, next_path: str | None = None) -> web.HTTPSeeOther:
    """A 303 to the login page that comes back to `next_path` (default: this page)."""
    target = next_path if next_path is not None else request.path_qs
    location = request.app.router["login"].url_for().with_query(next=target)
    return web.HTTPSeeOther(location=location)


async def require_user(request: web.Request, next_path: str | None = None) -> UserRecord:
    """The logged-in user; anyone else is sent to the login page (303) and back after."""
    user = await current_user(request)
    if user is None:
        raise login_redirect(request, next_path)
    return user
