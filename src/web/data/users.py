"""Users: creation with unique names and emails (ignoring case), and lookups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from src.web.errors import EmailTaken, UsernameTaken
from src.web.models import MAX_ID, users

__all__ = ["UserRecord", "create_user", "find_user", "get_user", "set_password_hash"]


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A row of `users`."""

    id: int
    username: str
    email: str
    password_hash: str
    is_admin: bool
    created: datetime


_BY_NAME = select(users).where(func.lower(users.c.username) == func.lower(bindparam("name")))
_BY_ID = select(users).where(users.c.id == bindparam("user_id"))
_EMAIL_TAKEN = select(users.c.id).where(func.lower(users.c.email) == func.lower(bindparam("email")))
_INSERT = insert(users).returning(*users.c)
_SET_PASSWORD = (
    update(users).where(users.c.id == bindparam("user_id")).values(password_hash=bindparam("new"))
)


def find_user(connection: Connection, username: str) -> UserRecord | None:
    """The user called `username`, ignoring case, or None."""
    row = connection.execute(_BY_NAME, {"name": username}).first()
    return UserRecord(*row) if row is not None else None


def get_user(connection: Connection, user_id: int) -> UserRecord | None:
    """The user with this id, or None."""
    if not 0 < user_id <= MAX_ID:
        return None
    row = connection.execute(_BY_ID, {"user_id": user_id}).first()
    return UserRecord(*row) if row is not None else None


def create_user(
    connection: Connection,
    *,
    username: str,
    email: str,
    password_hash: str,
    is_admin: bool = False,
) -> UserRecord:
    """A new user, with its id; `UsernameTaken` or `EmailTaken` otherwise."""
    if find_user(connection, username) is not None:
        raise UsernameTaken(username)
    if connection.execute(_EMAIL_TAKEN, {"email": email}).first() is not None:
        raise EmailTaken(email)
    values = {
        "username": username,
        "email": email,
        "password_hash": password_hash,
        "is_admin": is_admin,
    }
    try:
        # A savepoint, so that a lost race leaves the caller's transaction usable.
        with connection.begin_nested():
            row = connection.execute(_INSERT, values).one()
    except IntegrityError:
        # Someone registered the same name or email between our check and our insert.
        if find_user(connection, username) is not None:
            raise UsernameTaken(username) from None
        raise EmailTaken(email) from None
    return UserRecord(*row)


def set_password_hash(connection: Connection, user_id: int, password_hash: str) -> None:
    """Store a new hash of the user's password (after a rehash at login)."""
    connection.execute(_SET_PASSWORD, {"user_id": user_id, "new": password_hash})
