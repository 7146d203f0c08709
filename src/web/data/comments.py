"""Comments of a post: the thread, oldest first, and new comments."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from ..errors import NotFound
from ..models import Comment, Post, User
from .posts import MAX_ID

__all__ = ["add_comment", "list_comments"]


async def list_comments(session: AsyncSession, post_id: int) -> list[Comment]:
    """The comments of a post, oldest first, each with its author loaded."""
    query = (
        select(Comment)
        .join(User, Comment.author_id == User.id)
        .options(contains_eager(Comment.author))
        .where(Comment.post_id == post_id)
        .order_by(Comment.created, Comment.id)
    )
    return list((await session.execute(query)).scalars())


async def add_comment(session: AsyncSession, *, post_id: int, author_id: int, body: str) -> Comment:
    """A new comment on an existing post (`NotFound` otherwise), flushed so it has an id."""
    if not 0 < post_id <= MAX_ID or await session.get(Post, post_id) is None:
        raise NotFound(f"There is no post {post_id}.")
    comment = Comment(post_id=post_id, author_id=author_id, body=body)
    session.add(comment)
    await session.flush()
    return comment
