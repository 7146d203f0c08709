"""Comments of a post: the thread, oldest first, and new comments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select

from src.web.errors import NotFound
from src.web.models import MAX_ID, comments, posts, users

__all__ = ["CommentRecord", "CommentView", "add_comment", "list_comments"]


@dataclass(frozen=True, slots=True)
class CommentRecord:
    """A row of `comments`."""

    id: int
    post_id: int
    author_id: int
    body: str
    created: datetime


@dataclass(frozen=True, slots=True)
class CommentView:
    """A comment as the post page shows it: with its author's name."""

    id: int
    body: str
    created: datetime
    author: str


_THREAD = (
    select(comments.c.id, comments.c.body, comments.c.created, users.c.username)
    .join(users, comments.c.author_id == users.c.id)
    .where(comments.c.post_id == bindparam("post_id"))
    .order_by(comments.c.created, comments.c.id)
)
_POST_EXISTS = select(posts.c.id).where(posts.c.id == bindparam("post_id"))
_INSERT = insert(comments).returning(*comments.c)


def list_comments(connection: Connection, post_id: int) -> list[CommentView]:
    """The comments of a post, oldest first, each with its author's name."""
    return [CommentView(*row) for row in connection.execute(_THREAD, {"post_id": post_id})]


def add_comment(
    connection: Connection, *, post_id: int, author_id: int, body: str
) -> CommentRecord:
    """A new comment on an existing post (`NotFound` otherwise), with its id."""
    if (
        not 0 < post_id <= MAX_ID
        or connection.execute(_POST_EXISTS, {"post_id": post_id}).first() is None
    ):
        raise NotFound(f"There is no post {post_id}.")
    values = {"post_id": post_id, "author_id": author_id, "body": body}
    return CommentRecord(*connection.execute(_INSERT, values).one())
