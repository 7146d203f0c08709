from __future__ import annotations

import pytest
from sqlalchemy import func, select

from src.web.commands.seed import SAMPLE_PASSWORD, load_seed, main, seed
from src.web.data.users import find_user
from src.web.database import Database
from src.web.models import Comment, Post, Vote
from src.web.security.passwords import verify_password


async def test_seed_loads_the_shipped_data_once(database: Database) -> None:
    first = await seed(database)
    posts = load_seed("posts")
    assert first.users == len(load_seed("users"))
    assert first.posts == len(posts)
    assert first.comments == sum(len(p["comments"]) for p in posts)
    assert first.votes == sum(len(p["votes"]) for p in posts)

    again = await seed(database)
    assert (again.users, again.posts, again.comments, again.votes) == (0, 0, 0, 0)

    async with database.read() as session:
        assert (await session.execute(select(func.count(Post.id)))).scalar_one() == len(posts)
        # Each post's score is the sum of its votes.
        mismatched = (
            await session.execute(
                select(Post.id).where(
                    Post.score
                    != select(func.coalesce(func.sum(Vote.value), 0))
                    .where(Vote.post_id == Post.id)
                    .scalar_subquery()
                )
            )
        ).all()
        assert mismatched == []
        assert (
            await session.execute(select(func.count(Comment.id)))
        ).scalar_one() == first.comments
        ada = await find_user(session, "ada")
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
