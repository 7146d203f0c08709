"""Votes: one per user and post. Voting the same way again takes the vote back; voting the
other way turns it around. The post's score changes in the same transaction.

Concurrency: the post row is locked first (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's
write transactions start with `BEGIN IMMEDIATE`, see `database.py`), so votes on one post
are applied one at a time and the score always equals the sum of the votes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import NotFound
from ..models import Post, Vote
from .posts import MAX_ID

__all__ = ["Direction", "VoteOutcome", "cast_vote"]

Direction = Literal["up", "down"]
_VALUES: dict[Direction, int] = {"up": 1, "down": -1}
_NAMES = {1: "up", -1: "down", 0: None}


@dataclass(frozen=True, slots=True)
class VoteOutcome:
    """What a vote did: the user's vote before and after (-1, 0, 1) and the new score."""

    post_id: int
    previous: int
    current: int
    score: int

    @property
    def current_direction(self) -> str | None:
        """`up`, `down`, or None when the vote was taken back."""
        return _NAMES[self.current]

    @property
    def previous_direction(self) -> str | None:
        return _NAMES[self.previous]


async def cast_vote(
    session: AsyncSession, *, user_id: int, post_id: int, direction: Direction
) -> VoteOutcome:
    """Apply one click on an up or down arrow; `NotFound` when the post does not exist."""
    if not 0 < post_id <= MAX_ID:
        raise NotFound(f"There is no post {post_id}.")
    locked = select(Post.id).where(Post.id == post_id).with_for_update()
    if (await session.execute(locked)).first() is None:
        raise NotFound(f"There is no post {post_id}.")

    vote = await session.get(Vote, (user_id, post_id), populate_existing=True)
    previous = vote.value if vote is not None else 0
    wanted = _VALUES[direction]
    current = 0 if previous == wanted else wanted
    if vote is None:
        session.add(Vote(user_id=user_id, post_id=post_id, value=current))
    elif current == 0:
        await session.delete(vote)
    else:
        vote.value = current
    await session.flush()

    changed = (
        update(Post)
        .where(Post.id == post_id)
        .values(score=Post.score + (current - previous))
        .returning(Post.score)
    )
    score = (await session.execute(changed)).scalar_one()
    return VoteOutcome(post_id=post_id, previous=previous, current=current, score=score)
