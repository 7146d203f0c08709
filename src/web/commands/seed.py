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

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import SQLAlchemyError

from src.common.settings import load_settings_or_exit
from src.web.data.users import UserRecord, create_user, find_user
from src.web.data.votes import cast_vote
from src.web.database import Database
from src.web.models import comments, posts, utcnow, votes
from src.web.schema import SchemaOutdated, check_schema
from src.web.security.passwords import hash_password

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


def _users(connection: Connection, password_hash: str, report: SeedReport) -> dict[str, UserRecord]:
    users: dict[str, UserRecord] = {}
    for item in load_seed("users"):
        user = find_user(connection, item["username"])
        if user is None:
            user = create_user(
                connection,
                username=item["username"],
                email=item["email"],
                password_hash=password_hash,
            )
            report.users += 1
        users[item["username"]] = user
    return users


def _post(connection: Connection, item: dict[str, Any], author: UserRecord) -> tuple[int, bool]:
    """The sample post's id (and its creation time), and whether it was added now."""
    query = select(posts.c.id).where(posts.c.author_id == author.id, posts.c.title == item["title"])
    found = connection.execute(query).scalar_one_or_none()
    if found is not None:
        return found, False
    created = utcnow() - timedelta(hours=float(item.get("hours_ago", 0)))
    values = {
        "author_id": author.id,
        "title": item["title"],
        "body": item["body"],
        "category": item["category"],
        "created": created,
        "score": 0,
    }
    return connection.execute(insert(posts).values(values).returning(posts.c.id)).scalar_one(), True


def _comments(
    connection: Connection, post_id: int, item: dict[str, Any], users: dict[str, UserRecord]
) -> int:
    added = 0
    created = connection.execute(select(posts.c.created).where(posts.c.id == post_id)).scalar_one()
    for offset, comment in enumerate(item.get("comments", []), start=1):
        author = users[comment["author"]]
        exists = select(comments.c.id).where(
            comments.c.post_id == post_id,
            comments.c.author_id == author.id,
            comments.c.body == comment["body"],
        )
        if connection.execute(exists).first() is None:
            values = {
                "post_id": post_id,
                "author_id": author.id,
                "body": comment["body"],
                "created": created + timedelta(minutes=7 * offset),
            }
            connection.execute(insert(comments).values(values))
            added += 1
    return added


def _votes(
    connection: Connection, post_id: int, item: dict[str, Any], users: dict[str, UserRecord]
) -> int:
    added = 0
    for username, direction in item.get("votes", {}).items():
        voter = users[username]
        exists = select(votes.c.value).where(
            votes.c.user_id == voter.id, votes.c.post_id == post_id
        )
        if connection.execute(exists).first() is None:
            cast_vote(connection, user_id=voter.id, post_id=post_id, direction=direction)
            added += 1
    return added


def _seed(connection: Connection, password_hash: str) -> SeedReport:
    report = SeedReport()
    users = _users(connection, password_hash, report)
    for item in load_seed("posts"):
        post_id, created = _post(connection, item, users[item["author"]])
        report.posts += created
        report.comments += _comments(connection, post_id, item, users)
        report.votes += _votes(connection, post_id, item, users)
    return report


async def seed(database: Database) -> SeedReport:
    """Add what is missing of the sample data, in one transaction."""
    return await database.write(_seed, await hash_password(SAMPLE_PASSWORD))


async def _seed_url(database_url: str) -> SeedReport:
    database = Database(database_url)
    try:
        await check_schema(database)
        return await seed(database)
    finally:
        await database.close()


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
