from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Connection, insert

from src.web.data.comments import add_comment, list_comments
from src.web.data.posts import create_post, get_post, list_categories, list_posts, listing
from src.web.data.users import create_user
from src.web.database import Database
from src.web.errors import NotFound
from src.web.models import posts, utcnow


async def _author(database: Database, name: str = "alice") -> int:
    user = await database.write(
        create_user, username=name, email=f"{name}@x.org", password_hash="h"
    )
    return user.id


async def _posts(
    database: Database, author_id: int, count: int, category: str = "general"
) -> list[int]:
    start = utcnow() - timedelta(hours=count)

    def add(connection: Connection) -> list[int]:
        statement = insert(posts).returning(posts.c.id)
        rows = [
            {
                "author_id": author_id,
                "title": f"post {number}",
                "body": "",
                "category": category,
                "created": start + timedelta(minutes=number),
                "score": 0,
            }
            for number in range(count)
        ]
        return [connection.execute(statement, row).scalar_one() for row in rows]

    return await database.write(add)


async def test_the_newest_posts_come_first_twenty_a_page(database: Database) -> None:
    author = await _author(database)
    ids = await _posts(database, author, 45)
    first = await database.read(list_posts, page=1)
    third = await database.read(list_posts, page=3)
    with pytest.raises(NotFound):
        await database.read(list_posts, page=4)
    assert [view.id for view in first.items] == ids[::-1][:20]
    assert [view.id for view in third.items] == ids[::-1][40:]
    assert (first.total, first.pages, first.has_next, first.has_previous) == (45, 3, True, False)
    assert (third.has_next, third.has_previous) == (False, True)
    assert first.items[0].author == "alice"


async def test_an_empty_site_has_one_empty_page(database: Database) -> None:
    page = await database.read(list_posts, page=1)
    assert (page.items, page.pages) == ([], 1)


async def test_categories_and_authors_filter(database: Database) -> None:
    alice, bob = await _author(database, "alice"), await _author(database, "bob")
    await _posts(database, alice, 3, "python")
    await _posts(database, bob, 2, "rust")
    python = await database.read(list_posts, category="python")
    by_bob = await database.read(list_posts, author_id=bob)
    categories = await database.read(list_categories)
    front = await database.read(listing, page=1)
    assert front.categories == categories
    assert front.posts.total == 5
    assert python.total == 3
    assert {v.post.category for v in python.items} == {"python"}
    assert by_bob.total == 2
    assert {v.author for v in by_bob.items} == {"bob"}
    assert categories == [("python", 3), ("rust", 2)]


async def test_one_post_with_its_comments(database: Database) -> None:
    alice, bob = await _author(database, "alice"), await _author(database, "bob")
    post = await database.write(
        create_post, author_id=alice, title="Hello", body="*hi*", category="general"
    )
    first = await database.write(add_comment, post_id=post.id, author_id=bob, body="first")
    second = await database.write(add_comment, post_id=post.id, author_id=alice, body="second")
    view = await database.read(get_post, post.id)
    thread = await database.read(list_comments, post.id)
    listed = await database.read(list_posts)
    assert (view.post.title, view.author, view.comments, view.my_vote) == ("Hello", "alice", 2, 0)
    assert [(c.id, c.author) for c in thread] == [(first.id, "bob"), (second.id, "alice")]
    assert listed.items[0].comments == 2


@pytest.mark.parametrize("post_id", [0, 999, 2**31, 10**18])
async def test_unknown_posts_are_not_found(database: Database, post_id: int) -> None:
    author = await _author(database)
    with pytest.raises(NotFound):
        await database.read(get_post, post_id)
    with pytest.raises(NotFound):
        await database.write(add_comment, post_id=post_id, author_id=author, body="x")
