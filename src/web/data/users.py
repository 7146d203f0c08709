"""Users: creation with unique names and emails (ignoring case), and lookups."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import EmailTaken, UsernameTaken
from ..models import User

__all__ = ["create_user", "find_user", "get_user"]


async def find_user(session: AsyncSession, username: str) -> User | None:
    """The user called `username`, ignoring case, or None."""
    query = select(User).where(func.lower(User.username) == username.lower())
    return (await session.execute(query)).scalar_one_or_none()


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    """The user with this id, or None."""
    return await session.get(User, user_id)


async def _email_taken(session: AsyncSession, email: str) -> bool:
    query = select(User.id).where(func.lower(User.email) == email.lower())
    return (await session.execute(query)).first() is not None


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    email: str,
    password_hash: str,
    is_admin: bool = False,
) -> User:
    """A new user, flushed so it has an id; `UsernameTaken` or `EmailTaken` otherwise."""
    if await find_user(session, username) is not None:
        raise UsernameTaken(username)
    if await _email_taken(session, email):
        raise EmailTaken(email)
    user = User(username=username, email=email, password_hash=password_hash, is_admin=is_admin)
    try:
        # A savepoint, so that a lost race leaves the caller's transaction usable.
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError:
        # Someone registered the same name or email between our check and our insert.
        if await find_user(session, username) is not None:
            raise UsernameTaken(username) from None
        raise EmailTaken(email) from None
    return user
