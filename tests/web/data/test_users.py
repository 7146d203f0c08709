from __future__ import annotations

import asyncio

import pytest

from src.web.data.users import create_user, find_user, get_user
from src.web.database import Database
from src.web.errors import EmailTaken, UsernameTaken


async def _create(database: Database, username: str, email: str) -> int:
    user = await database.write(create_user, username=username, email=email, password_hash="h")
    return user.id


async def test_a_user_is_found_by_name_ignoring_case(database: Database) -> None:
    user_id = await _create(database, "Alice", "alice@example.org")
    found = await database.read(find_user, "aLiCe")
    assert found is not None
    assert found.id == user_id
    assert found.username == "Alice"
    assert found.created.tzinfo is not None
    assert not found.is_admin
    assert await database.read(find_user, "bob") is None
    assert await database.read(get_user, user_id) == found
    assert await database.read(get_user, 2**40) is None


async def test_usernames_are_unique_ignoring_case(database: Database) -> None:
    await _create(database, "alice", "one@example.org")
    with pytest.raises(UsernameTaken):
        await _create(database, "ALICE", "two@example.org")
    with pytest.raises(EmailTaken):
        await _create(database, "bob", "ONE@example.org")


async def test_the_database_itself_refuses_a_duplicate(database: Database) -> None:
    """Two registrations racing for one name: exactly one wins, the other is told why."""
    results = await asyncio.gather(
        *(_create(database, "Racer", f"r{i}@example.org") for i in range(5)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1
    assert all(isinstance(r, UsernameTaken) for r in results if not isinstance(r, int)), results
