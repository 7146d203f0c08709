"""`/u/{username}`: a user's posts and recent activity, fetched from the activity service.

Everyone sees what the user did in public (posts, comments, votes); logins, logouts and
failed logins are shown only to the user and to admins. When the activity service does not
answer, the page still renders, with a note instead of the list.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from src.common.activity_client import ActivityError
from src.web.app_keys import ACTIVITY_CLIENT, DATABASE
from src.web.auth import current_user
from src.web.data.pages import Page
from src.web.data.posts import PostView, list_posts
from src.web.data.users import UserRecord, find_user
from src.web.errors import NotFound
from src.web.forms import valid_username
from src.web.templating import render
from src.web.views.common import page_number

__all__ = ["PROFILE_ACTIVITY_TIMEOUT", "PUBLIC_TYPES", "profile"]

log = logging.getLogger(__name__)

ACTIVITY_LIMIT = 20
ACTIVITY_TIMEOUT = 3.0  # seconds; a slow activity service must not hold the page
# Seconds the profile waits for the activity service, when not ACTIVITY_TIMEOUT (tests).
PROFILE_ACTIVITY_TIMEOUT = web.AppKey("profile_activity_timeout", float)
UNAVAILABLE = "Recent activity is unavailable right now: the activity service is not answering."
PUBLIC_TYPES = ("comment.create", "post.create", "post.vote", "user.register")


def _newest_first(item: dict[str, Any]) -> tuple[str, str]:
    # The API's own order: timestamps are stored in one ISO 8601 form, ids break ties.
    return str(item.get("timestamp", "")), str(item.get("id", ""))


async def _fetch_activity(
    request: web.Request, user: UserRecord, *, private: bool
) -> list[dict[str, Any]]:
    """The user's newest events of the types the viewer may see, newest first.

    The API filters one `type` at a time, so the public list asks once per public type:
    a user with many logins still shows their posts, votes and comments.
    """
    client = request.app[ACTIVITY_CLIENT]
    filters: list[dict[str, str | int]] = (
        [{}] if private else [{"type": event_type} for event_type in PUBLIC_TYPES]
    )
    pages = await asyncio.gather(
        *(
            client.list_activities(user_id=user.id, limit=ACTIVITY_LIMIT, **extra)
            for extra in filters
        ),
        return_exceptions=True,
    )
    items: list[dict[str, Any]] = []
    for page in pages:
        if isinstance(page, BaseException):
            raise page
        items.extend(
            item
            for item in page.get("items", [])
            if item.get("user_id") == user.id and (private or item.get("type") in PUBLIC_TYPES)
        )
    items.sort(key=_newest_first, reverse=True)
    return items[:ACTIVITY_LIMIT]


async def _recent_activity(
    request: web.Request, user: UserRecord, *, private: bool
) -> tuple[list[dict[str, Any]], str | None]:
    """The user's newest events (public ones unless `private`), or a note saying why not."""
    timeout = request.app.get(PROFILE_ACTIVITY_TIMEOUT, ACTIVITY_TIMEOUT)
    try:
        async with asyncio.timeout(timeout):
            items = await _fetch_activity(request, user, private=private)
    except (ActivityError, TimeoutError) as exc:
        log.warning(
            "activity of %s unavailable: %s", user.username, str(exc) or "no answer in time"
        )
        return [], UNAVAILABLE
    for item in items:
        try:
            item["when"] = datetime.fromisoformat(item["timestamp"])
        except (KeyError, TypeError, ValueError):
            item["when"] = None
    return items, None


async def profile(request: web.Request) -> web.Response:
    """`/u/{username}`: the user's posts (`?page=`) and recent activity."""
    name = request.match_info["username"]
    page = page_number(request)
    viewer = await current_user(request)
    if not valid_username(name):
        raise NotFound(f"There is no user called {name[:64]!r}.")

    def user_and_posts(connection: Connection) -> tuple[UserRecord, Page[PostView]]:
        user = find_user(connection, name)
        if user is None:
            raise NotFound(f"There is no user called {name[:64]!r}.")
        posts = list_posts(
            connection, page=page, author_id=user.id, viewer_id=viewer.id if viewer else None
        )
        return user, posts

    user, posts = await request.app[DATABASE].read(user_and_posts)
    private = viewer is not None and (viewer.id == user.id or viewer.is_admin)
    activity, activity_note = await _recent_activity(request, user, private=private)
    context = {
        "user": user,
        "posts": posts,
        "activity": activity,
        "activity_note": activity_note,
        "private_activity": private,
    }
    return await render(request, "profile.html", context)
