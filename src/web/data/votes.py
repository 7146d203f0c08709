"""Votes: one per user and post. Voting the same way again takes the vote back; voting the
other way turns it around. The post's score changes in the same transaction.

Concurrency: the post row is locked first (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's
write transactions start with `BEGIN IMMEDIATE`, see `database.py`), so votes on one post
are applied one at a time and the score always equals the sum of the votes. Votes on
different posts proceed side by side on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, and_, bindparam, delete, insert, select, update

from src.web.errors import NotFound
from src.web.models import MAX_ID, posts, votes

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


_THIS_VOTE = and_(votes.c.user_id == bindparam("voter"), votes.c.post_id == bindparam("post"))
_LOCK_POST = select(posts.c.id).where(posts.c.id == bindparam("post")).with_for_update()
_PREVIOUS = select(votes.c.value).where(_THIS_VOTE)
_ADD = insert(votes)
_CHANGE = update(votes).where(_THIS_VOTE).values(value=bindparam("new_value"))
_TAKE_BACK = delete(votes).where(_THIS_VOTE)
_SCORE = (
    update(posts)
    .where(posts.c.id == bindparam("post"))
    .values(score=posts.c.score + bindparam("delta"))
    .returning(posts.c.score)
)


def cast_vote(
    connection: Connection, *, user_id: int, post_id: int, direction: Direction
) -> VoteOutcome:
    """Apply one click on an up or down arrow; `NotFound` when the post does not exist."""
    if not 0 < post_id <= MAX_ID:
        raise NotFound(f"There is no post {post_id}.")
    keys = {"voter": user_id, "post": post_id}
    if connection.execute(_LOCK_POST, keys).first() is None:
        raise NotFound(f"There is no post {post_id}.")
    previous = connection.execute(_PREVIOUS, keys).scalar_one_or_none() or 0
    wanted = _VALUES[direction]
    current = 0 if previous == wanted else wanted
    if previous == 0:
        connection.execute(_ADD, {"user_id": user_id, "post_id": post_id, "value": current})
    elif current == 0:
        connection.execute(_TAKE_BACK, keys)
    else:
        connection.execute(_CHANGE, {**keys, "new_value": current})
    score = connection.execute(_SCORE, {"post": post_id, "delta": current - previous}).scalar_one()
    return VoteOutcome(post_id=post_id, previous=previous, current=current, score=score)
