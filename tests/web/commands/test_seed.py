from __future__ import annotations

import pytest
from sqlalchemy import Connection, func, select

from src.web.commands.seed import SAMPLE_PASSWORD, load_seed, main, seed
from src.web.data.users import find_user
from src.web.database import Database
from src.web.models import comments, posts, votes
from src.web.security.passwords import verify_password


def _counts(connection: Connection) -> tuple[int, int, list[int]]:
    """Posts, comments, and the posts whose score is not the sum of their votes."""
    vote_sum = (
        select(func.coalesce(func.sum(votes.c.value), 0))
        .where(votes.c.post_id == posts.c.id)
        .scalar_subquery()
    )
    mismatched = connection.execute(select(posts.c.id).where(posts.c.score != vote_sum))
    return (
        connection.execute(select(func.count(posts.c.id))).scalar_one(),
        connection.execute(select(func.count(comments.c.id))).scalar_one(),
        list(mismatched.scalars()),
    )


async def test_seed_loads_the_shipped_data_once(database: Database) -> None:
    first = await seed(database)
    shipped = load_seed("posts")
    assert first.users == len(load_seed("users"))
    assert first.posts == len(shipped)
    assert first.comments == sum(len(p["comments"]) for p in shipped)
    assert first.votes == sum(len(p["votes"]) for p in shipped)

    again = await seed(database)
    assert (again.users, again.posts, again.comments, again.votes) == (0, 0, 0, 0)

    # Each post's score is the sum of its votes.
    assert await database.read(_counts) == (len(shipped), first.comments, [])
    ada = await database.read(find_user, "ada")
    assert ada is not None
    assert await verify_password(ada.password_hash, SAMPLE_PASSWORD)


def test_the_command(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    assert main([]) == 0
    assert "5 users, 8 posts" in capsys.readouterr().out
    assert main([]) == 0
    assert "0 users, 0 posts, 0 comments, 0 votes added" in capsys.readouterr().out
