"""Posts: the front page, categories, a user's posts, one post, and new posts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, insert, select

from src.web.data.pages import PAGE_SIZE, Page
from src.web.errors import NotFound
from src.web.models import MAX_ID, comments, posts, users, votes

__all__ = [
    "Listing",
    "PostRecord",
    "PostView",
    "create_post",
    "get_post",
    "list_categories",
    "list_posts",
    "listing",
]

NO_VIEWER = 0  # an id no user has: with it, the viewer's vote is NULL on every post


@dataclass(frozen=True, slots=True)
class PostRecord:
    """A row of `posts`."""

    id: int
    author_id: int
    title: str
    body: str
    category: str
    created: datetime
    score: int


@dataclass(frozen=True, slots=True)
class PostView:
    """A post as a page shows it: with its author's name, comment count and the viewer's vote."""

    post: PostRecord
    author: str
    comments: int
    my_vote: int  # -1, 0 or 1

    @property
    def id(self) -> int:
        return self.post.id


@dataclass(frozen=True, slots=True)
class Listing:
    """What a list page shows: one page of posts and the most used categories."""

    posts: Page[PostView]
    categories: list[tuple[str, int]]


_COMMENT_COUNT = (
    select(func.count(comments.c.id))
    .where(comments.c.post_id == posts.c.id)
    .correlate(posts)
    .scalar_subquery()
)
_MY_VOTE = (
    select(votes.c.value)
    .where(votes.c.post_id == posts.c.id, votes.c.user_id == bindparam("viewer"))
    .correlate(posts)
    .scalar_subquery()
)
_VIEW = select(
    *posts.c, users.c.username, _COMMENT_COUNT.label("comments"), _MY_VOTE.label("my_vote")
).join(users, posts.c.author_id == users.c.id)
_NEWEST = (posts.c.created.desc(), posts.c.id.desc())


def _page_query(*conditions: Any) -> Select[Any]:
    return (
        _VIEW.where(*conditions)
        .order_by(*_NEWEST)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )


def _count_query(*conditions: Any) -> Select[Any]:
    return select(func.count(posts.c.id)).where(*conditions)


# Statements are built once: SQLAlchemy then reuses their compiled form and cache key.
_ALL = _page_query(), _count_query()
_IN_CATEGORY = (
    _page_query(posts.c.category == bindparam("category")),
    _count_query(posts.c.category == bindparam("category")),
)
_BY_AUTHOR = (
    _page_query(posts.c.author_id == bindparam("author_id")),
    _count_query(posts.c.author_id == bindparam("author_id")),
)
_ONE = _VIEW.where(posts.c.id == bindparam("post_id"))
_CATEGORY_COUNT = func.count(posts.c.id)
_CATEGORIES = (
    select(posts.c.category, _CATEGORY_COUNT)
    .group_by(posts.c.category)
    .order_by(_CATEGORY_COUNT.desc(), posts.c.category)
    .limit(bindparam("limit"))
)
_INSERT = insert(posts).returning(*posts.c)


def _view(row: Any) -> PostView:
    *columns, author, count, vote = row
    return PostView(PostRecord(*columns), author, count, vote or 0)


def list_posts(
    connection: Connection,
    *,
    page: int = 1,
    category: str | None = None,
    author_id: int | None = None,
    viewer_id: int | None = None,
    size: int = PAGE_SIZE,
) -> Page[PostView]:
    """Newest posts first, one page of them; `NotFound` for a page past the last one."""
    params: dict[str, Any] = {"viewer": viewer_id if viewer_id is not None else NO_VIEWER}
    if category is not None:
        rows_query, count_query = _IN_CATEGORY
        params["category"] = category
    elif author_id is not None:
        rows_query, count_query = _BY_AUTHOR
        params["author_id"] = author_id
    else:
        rows_query, count_query = _ALL
    total = connection.execute(count_query, params).scalar_one()
    result: Page[PostView] = Page([], page, size, total)
    if page > result.pages:
        raise NotFound(f"There is no page {page}; the last page is {result.pages}.")
    params.update(offset=Page.offset(page, size), limit=size)
    return Page([_view(row) for row in connection.execute(rows_query, params)], page, size, total)


def list_categories(connection: Connection, *, limit: int = 12) -> list[tuple[str, int]]:
    """The categories with the most posts, with their counts."""
    return [(name, count) for name, count in connection.execute(_CATEGORIES, {"limit": limit})]


def listing(
    connection: Connection,
    *,
    page: int = 1,
    category: str | None = None,
    viewer_id: int | None = None,
) -> Listing:
    """The front page or a category page: its posts and the sidebar's categories."""
    found = list_posts(connection, page=page, category=category, viewer_id=viewer_id)
    return Listing(found, list_categories(connection))


def get_post(connection: Connection, post_id: int, *, viewer_id: int | None = None) -> PostView:
    """One post with its author and the viewer's vote, or `NotFound`."""
    if not 0 < post_id <= MAX_ID:
        raise NotFound(f"There is no post {post_id}.")
    viewer = viewer_id if viewer_id is not None else NO_VIEWER
    row = connection.execute(_ONE, {"post_id": post_id, "viewer": viewer}).first()
    if row is None:
        raise NotFound(f"There is no post {post_id}.")
    return _view(row)


def create_post(
    connection: Connection, *, author_id: int, title: str, body: str, category: str
) -> PostRecord:
    """A new post, with its id."""
    values = {"author_id": author_id, "title": title, "body": body, "category": category}
    return PostRecord(*connection.execute(_INSERT, {**values, "score": 0}).one())
