"""Posts: the front page, categories, a post with its comments, submitting, voting and
commenting."""

from __future__ import annotations

from typing import Any, cast

from aiohttp import web
from sqlalchemy import Connection

from src.common.events import ActivityEvent
from src.common.middleware import request_id
from src.web.app_keys import DATABASE, EVENT_RECORDER
from src.web.auth import current_user, require_user
from src.web.data import comments as comments_data
from src.web.data import posts as posts_data
from src.web.data.votes import Direction, cast_vote
from src.web.errors import NotFound
from src.web.events import builders
from src.web.forms import (
    FormInvalid,
    parse_comment,
    parse_direction,
    parse_post,
    read_form,
    valid_category,
)
from src.web.templating import render
from src.web.views.common import page_number, path_id, redirect, safe_next_from

__all__ = ["category", "comment", "front_page", "post_page", "submit", "submit_form", "vote"]


async def _listing(
    request: web.Request, *, category: str | None = None, title: str
) -> web.Response:
    page = page_number(request)
    user = await current_user(request)
    found = await request.app[DATABASE].read(
        posts_data.listing, page=page, category=category, viewer_id=user.id if user else None
    )
    if category is not None and found.posts.total == 0:
        raise NotFound(f"There are no posts in c/{category} yet.")
    context = {
        "posts": found.posts,
        "categories": found.categories,
        "category": category,
        "title": title,
    }
    return await render(request, "index.html", context)


async def front_page(request: web.Request) -> web.Response:
    """`/`: the newest posts, 20 a page (`?page=`)."""
    return await _listing(request, title="Newest posts")


async def category(request: web.Request) -> web.Response:
    """`/c/{category}`: the newest posts of one category."""
    name = request.match_info["category"]
    if not valid_category(name):
        if valid_category(name.lower()):  # /c/Python is /c/python
            location = request.app.router["category"].url_for(category=name.lower())
            raise web.HTTPMovedPermanently(location=location.with_query(request.query))
        raise NotFound(f"There is no category {name[:40]!r}.")
    return await _listing(request, category=name, title=f"c/{name}")


async def _post_page(
    request: web.Request,
    post_id: int,
    *,
    comment_errors: dict[str, str] | None = None,
    comment_values: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    user = await current_user(request)
    post, thread = await request.app[DATABASE].read(
        _post_and_comments, post_id, viewer_id=user.id if user else None
    )
    context: dict[str, Any] = {
        "post": post,
        "comments": thread,
        "errors": comment_errors or {},
        "values": comment_values or {},
    }
    return await render(request, "post.html", context, status=status)


def _post_and_comments(
    connection: Connection, post_id: int, *, viewer_id: int | None
) -> tuple[posts_data.PostView, list[comments_data.CommentView]]:
    post = posts_data.get_post(connection, post_id, viewer_id=viewer_id)
    return post, comments_data.list_comments(connection, post_id)


async def post_page(request: web.Request) -> web.Response:
    """`/p/{id}`: a post, its comments and votes."""
    return await _post_page(request, path_id(request))


async def submit_form(request: web.Request) -> web.Response:
    """`GET /submit`: the form for a new post."""
    await require_user(request)
    return await _submit_page(request, {}, {"category": request.query.get("category", "")})


async def _submit_page(
    request: web.Request, errors: dict[str, str], values: dict[str, str], status: int = 200
) -> web.Response:
    categories = await request.app[DATABASE].read(posts_data.list_categories, limit=50)
    context = {"errors": errors, "values": values, "categories": categories}
    return await render(request, "submit.html", context, status=status)


async def submit(request: web.Request) -> web.StreamResponse:
    """`POST /submit` (`title`, `body`, `category`): a new post, then its page."""
    user = await require_user(request)
    try:
        form = parse_post(await read_form(request))
    except FormInvalid as exc:
        return await _submit_page(request, exc.errors, exc.values, status=400)
    recorder = request.app[EVENT_RECORDER]

    def create(connection: Connection) -> tuple[int, ActivityEvent]:
        post = posts_data.create_post(
            connection, author_id=user.id, title=form.title, body=form.body, category=form.category
        )
        event = builders.post_created(user, post, request_id=request_id(request))
        recorder.stage(connection, event)
        return post.id, event

    post_id, event = await request.app[DATABASE].write(create)
    await recorder.deliver(event)
    raise redirect(request.app.router["post"].url_for(id=str(post_id)))


async def vote(request: web.Request) -> web.StreamResponse:
    """`POST /p/{id}/vote` (`direction=up|down`): vote, change the vote, or take it back."""
    post_id = path_id(request)
    post_url = request.app.router["post"].url_for(id=str(post_id))
    user = await require_user(request, next_path=str(post_url))
    form = await read_form(request)
    direction = parse_direction(form)
    if direction is None:
        raise web.HTTPBadRequest(text="A vote needs direction=up or direction=down.")
    recorder = request.app[EVENT_RECORDER]
    wanted = cast(Direction, direction)

    def apply(connection: Connection) -> ActivityEvent:
        outcome = cast_vote(connection, user_id=user.id, post_id=post_id, direction=wanted)
        event = builders.post_voted(user, outcome, direction=wanted, request_id=request_id(request))
        recorder.stage(connection, event)
        return event

    event = await request.app[DATABASE].write(apply)
    await recorder.deliver(event)
    raise redirect(safe_next_from(form.get("next"), post_url))


async def comment(request: web.Request) -> web.StreamResponse:
    """`POST /p/{id}/comment` (`body`): a new comment, then the post page at that comment."""
    post_id = path_id(request)
    post_url = request.app.router["post"].url_for(id=str(post_id))
    user = await require_user(request, next_path=str(post_url))
    try:
        form = parse_comment(await read_form(request))
    except FormInvalid as exc:
        return await _post_page(
            request, post_id, comment_errors=exc.errors, comment_values=exc.values, status=400
        )
    recorder = request.app[EVENT_RECORDER]

    def add(connection: Connection) -> tuple[int, ActivityEvent]:
        new = comments_data.add_comment(
            connection, post_id=post_id, author_id=user.id, body=form.body
        )
        event = builders.comment_created(user, new, request_id=request_id(request))
        recorder.stage(connection, event)
        return new.id, event

    comment_id, event = await request.app[DATABASE].write(add)
    await recorder.deliver(event)
    raise redirect(post_url.with_fragment(f"comment-{comment_id}"))
