from __future__ import annotations

import asyncio
import random

import pytest
from sqlalchemy import Connection, func, select

from src.web.data.posts import create_post, get_post
from src.web.data.users import create_user
from src.web.data.votes import Direction, cast_vote
from src.web.database import Database
from src.web.errors import NotFound
from src.web.models import posts, votes


def _users_and_post(connection: Connection, voters: int) -> tuple[int, list[int]]:
    author = create_user(connection, username="author", email="a@x.org", password_hash="h")
    users = [
        create_user(connection, username=f"v{i}", email=f"v{i}@x.org", password_hash="h")
        for i in range(voters)
    ]
    post = create_post(connection, author_id=author.id, title="t", body="", category="c")
    return post.id, [user.id for user in users]


async def _setup(database: Database, voters: int = 1) -> tuple[int, list[int]]:
    return await database.write(_users_and_post, voters)


async def _vote(
    database: Database, user_id: int, post_id: int, direction: Direction
) -> tuple[int, int, int]:
    outcome = await database.write(cast_vote, user_id=user_id, post_id=post_id, direction=direction)
    return outcome.previous, outcome.current, outcome.score


def _vote_count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(votes)).scalar_one())


def _score_sum_and_votes_per_user(
    connection: Connection, post_id: int
) -> tuple[int, int, list[int]]:
    score = connection.execute(select(posts.c.score).where(posts.c.id == post_id)).scalar_one()
    total = connection.execute(
        select(func.coalesce(func.sum(votes.c.value), 0)).where(votes.c.post_id == post_id)
    ).scalar_one()
    per_user = connection.execute(
        select(func.count()).where(votes.c.post_id == post_id).group_by(votes.c.user_id)
    ).scalars()
    return score, total, list(per_user)


async def test_vote_again_takes_it_back_and_the_other_way_turns_it(database: Database) -> None:
    post_id, (user,) = await _setup(database)
    assert await _vote(database, user, post_id, "up") == (0, 1, 1)
    assert await _vote(database, user, post_id, "up") == (1, 0, 0)
    assert await _vote(database, user, post_id, "down") == (0, -1, -1)
    assert await _vote(database, user, post_id, "up") == (-1, 1, 1)
    assert await _vote(database, user, post_id, "down") == (1, -1, -1)
    assert (await database.read(get_post, post_id, viewer_id=user)).my_vote == -1
    assert await database.read(_vote_count) == 1


async def test_voting_on_a_missing_post_changes_nothing(database: Database) -> None:
    _, (user,) = await _setup(database)
    with pytest.raises(NotFound):
        await _vote(database, user, 12345, "up")


async def test_the_score_stays_the_sum_of_the_votes_under_concurrency(database: Database) -> None:
    """Many users clicking at once, some twice on the same arrow at the same moment."""
    post_id, users = await _setup(database, voters=8)
    rng = random.Random(7)
    clicks = [(rng.choice(users), rng.choice(("up", "down"))) for _ in range(60)]
    clicks += [(users[0], "up"), (users[0], "up"), (users[1], "down"), (users[1], "down")]
    rng.shuffle(clicks)
    await asyncio.gather(*(_vote(database, user, post_id, d) for user, d in clicks))  # type: ignore[arg-type]
    score, total, per_user = await database.read(_score_sum_and_votes_per_user, post_id)
    assert score == total
    assert all(count == 1 for count in per_user)
