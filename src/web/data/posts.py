"""Posts: the front page, categories, a user's posts, one post, and new posts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import NotFound
from ..models import Comment, Post, User, Vote
from .pages import PAGE_SIZE, Page

__all__ = ["PostView", "create_post", "get_post", "list_categories", "list_posts"]

MAX_ID = 2**31 - 1  # ids are INTEGER columns; a larger number cannot name a post


@dataclass(frozen=True, slots=True)
class PostView:
    """A post as a page shows it: with its author's name, comment count and the viewer's vote."""

    post: Post
    author: str
    comments: int
    my_vote: int  # -1, 0 or 1

    @property
    def id(self) -> int:
        return self.post.id


def _view_query(viewer_id: int | None) -> Select[Post, str, int, int | None]:
    comments = (
        select(func.count(Comment.id))
        .where(Comment.post_id == Post.id)
        .correlate(Post)
        .scalar_subquery()
    )
    # No viewer: an id no user has, so the column is NULL for every post.
    voter = viewer_id if viewer_id is not None else 0
    my_vote = (
        select(Vote.value)
        .where(Vote.post_id == Post.id, Vote.user_id == voter)
        .correlate(Post)
        .scalar_subquery()
    )
    return select(Post, User.username, comments, my_vote).join(User, Post.author_id == User.id)


def _views(rows: Sequence[Row[Post, str, int, int | None]]) -> list[PostView]:
    return [PostView(post, author, count, vote or 0) for post, author, count, vote in rows]


async def list_posts(
    session: AsyncSession,
    *,
    page: int = 1,
    category: str | None = None,
    author_id: int | None = None,
    viewer_id: int | None = None,
    size: int = PAGE_SIZE,
) -> Page[PostView]:
    """Newest posts first, one page of them; `NotFound` for a page past the last one."""
    conditions = []
    if category is not None:
        conditions.append(Post.category == category)
    if author_id is not None:
        conditions.append(Post.author_id == author_id)
    total = (await session.execute(select(func.count(Post.id)).where(*conditions))).scalar_one()
    result: Page[PostView] = Page([], page, size, total)
    if page > result.pages:
        raise NotFound(f"There is no page {page}; the last page is {result.pages}.")
    query = (
        _view_query(viewer_id)
        .where(*conditions)
        .order_by(Post.created.desc(), Post.id.desc())
        .offset(Page.offset(page, size))
        .limit(size)
    )
    rows = (await session.execute(query)).all()
    return Page(_views(rows), page, size, total)


async def get_post(
    session: AsyncSession, post_id: int, *, viewer_id: int | None = None
) -> PostView:
    """One post with its author and the viewer's vote, or `NotFound`."""
    if not 0 < post_id <= MAX_ID:
        raise NotFound(f"There is no post {post_id}.")
    rows = (await session.execute(_view_query(viewer_id).where(Post.id == post_id))).all()
    if not rows:
        raise NotFound(f"There is no post {post_id}.")
    return _views(rows)[0]


async def create_post(
    session: AsyncSession, *, author_id: int, title: str, body: str, category: str
) -> Post:
    """A new post, flushed so it has an id."""
    post = Post(author_id=author_id, title=title, body=body, category=category, score=0)
    session.add(post)
    await session.flush()
    return post


async def list_categories(session: AsyncSession, *, limit: int = 12) -> list[tuple[str, int]]:
    """The categories with the most posts, with their counts."""
    count = func.count(Post.id)
    query = (
        select(Post.category, count)
        .group_by(Post.category)
        .order_by(count.desc(), Post.category)
        .limit(limit)
    )
    return [(name, number) for name, number in (await session.execute(query)).all()]
