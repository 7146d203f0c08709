"""`wolfit seed`: load the sample users, posts, comments and votes shipped in the package.

The data lives in `src/web/seed/*.json`; nothing is fetched. Running it again adds only what
is missing (users by name, posts by author and title, comments by author and text, votes
only where the user has none), so it is safe to repeat. Seeding is not a user action: it
emits no activity events. Every sample user's password is `SAMPLE_PASSWORD`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from src.common.settings import load_settings_or_exit

from ..data.users import create_user, find_user
from ..data.votes import cast_vote
from ..database import Database, create_engine
from ..models import Comment, Post, User, Vote, utcnow
from ..schema import SchemaOutdated, check_schema
from ..security.passwords import hash_password

__all__ = ["SAMPLE_PASSWORD", "SeedReport", "load_seed", "main", "seed"]

SAMPLE_PASSWORD = "wolfit-sample"  # noqa: S105 (documented sample data, not a secret)


@dataclass
class SeedReport:
    """How many rows of each kind were added (0 everywhere on a repeat run)."""

    users: int = 0
    posts: int = 0
    comments: int = 0
    votes: int = 0

    def __str__(self) -> str:
        return (
            f"{self.users} users, {self.posts} posts, {self.comments} comments, "
            f"{self.votes} votes added"
        )


def load_seed(name: str) -> list[dict[str, Any]]:
    """One of the JSON files shipped in `src/web/seed/`."""
    text = resources.files("src.web").joinpath("seed", f"{name}.json").read_text("utf-8")
    data: list[dict[str, Any]] = json.loads(text)
    return data


async def _users(session: AsyncSession, report: SeedReport) -> dict[str, User]:
    password_hash = await hash_password(SAMPLE_PASSWORD)
    users: dict[str, User] = {}
    for item in load_seed("users"):
        user = await find_user(session, item["username"])
        if user is None:
            user = await create_user(
                session,
                username=item["username"],
                email=item["email"],
                password_hash=password_hash,
            )
            report.users += 1
        users[item["username"]] = user
    return users


async def _post(session: AsyncSession, item: dict[str, Any], author: User) -> tuple[Post, bool]:
    query = select(Post).where(Post.author_id == author.id, Post.title == item["title"])
    post = (await session.execute(query)).scalar_one_or_none()
    if post is not None:
        return post, False
    created = utcnow() - timedelta(hours=float(item.get("hours_ago", 0)))
    post = Post(
        author_id=author.id,
        title=item["title"],
        body=item["body"],
        category=item["category"],
        created=created,
        score=0,
    )
    session.add(post)
    await session.flush()
    return post, True


async def _comments(
    session: AsyncSession, post: Post, item: dict[str, Any], users: dict[str, User]
) -> int:
    added = 0
    for offset, comment in enumerate(item.get("comments", []), start=1):
        author = users[comment["author"]]
        exists = select(Comment.id).where(
            Comment.post_id == post.id,
            Comment.author_id == author.id,
            Comment.body == comment["body"],
        )
        if (await session.execute(exists)).first() is None:
            when = post.created + timedelta(minutes=7 * offset)
            session.add(
                Comment(post_id=post.id, author_id=author.id, body=comment["body"], created=when)
            )
            added += 1
    return added


async def _votes(
    session: AsyncSession, post: Post, item: dict[str, Any], users: dict[str, User]
) -> int:
    added = 0
    for username, direction in item.get("votes", {}).items():
        voter = users[username]
        if await session.get(Vote, (voter.id, post.id)) is None:
            await cast_vote(session, user_id=voter.id, post_id=post.id, direction=direction)
            added += 1
    return added


async def seed(database: Database) -> SeedReport:
    """Add what is missing of the sample data, in one transaction."""
    report = SeedReport()
    async with database.write() as session:
        users = await _users(session, report)
        for item in load_seed("posts"):
            post, created = await _post(session, item, users[item["author"]])
            report.posts += created
            report.comments += await _comments(session, post, item, users)
            await session.flush()
            report.votes += await _votes(session, post, item, users)
    return report


async def _seed_url(database_url: str) -> SeedReport:
    engine = create_engine(database_url)
    try:
        await check_schema(engine)
        return await seed(Database(engine))
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """Load the sample data into DATABASE_URL; 0 on success."""
    parser = argparse.ArgumentParser(
        prog="wolfit seed",
        description="Load sample users, posts, comments and votes shipped with Wolfit into "
        f"the web database (DATABASE_URL). Safe to repeat. Sample users' password: "
        f"{SAMPLE_PASSWORD}",
    )
    parser.parse_args(sys.argv[1:] if argv is None else argv)
    settings = load_settings_or_exit()
    try:
        report = asyncio.run(_seed_url(settings.database_url))
    except SchemaOutdated as exc:
        print(f"wolfit seed: {exc}", file=sys.stderr)
        return 1
    except (SQLAlchemyError, OSError) as exc:
        print(f"wolfit seed: database error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"wolfit seed: {report}; sample users log in with the password {SAMPLE_PASSWORD!r}")
    return 0
