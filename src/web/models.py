"""The web database's tables, as SQLAlchemy 2 typed ORM classes.

The schema itself is owned by the Alembic migrations in `src/web/migrations`; a test checks
that these classes and the migrations agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

__all__ = [
    "MAX_ID",
    "Base",
    "Comment",
    "OutboxEntry",
    "Post",
    "User",
    "Vote",
    "comments",
    "outbox",
    "posts",
    "users",
    "utcnow",
    "votes",
]

USERNAME_MAX = 32
EMAIL_MAX = 254
TITLE_MAX = 200
CATEGORY_MAX = 32
MAX_ID = 2**31 - 1  # ids are INTEGER columns; a larger number cannot name a row


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always aware UTC in Python, whatever the database keeps.

    SQLite has no time zones and hands back naive values; they were written as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with constraint names that Alembic can find again."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class User(Base):
    """Someone who can log in; `username` is unique ignoring case."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    created: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("uq_users_username_lower", func.lower(username), unique=True),
        Index("uq_users_email_lower", func.lower(email), unique=True),
    )


class Post(Base):
    """A link-less text post: a title, a Markdown body, a category and a running score."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(CATEGORY_MAX))
    created: Mapped[datetime] = mapped_column(default=utcnow)
    # Sum of the votes' values, changed in the same transaction as the vote.
    score: Mapped[int] = mapped_column(Integer, default=0)

    author: Mapped[User] = relationship(lazy="raise")

    __table_args__ = (
        Index("ix_posts_created", "created"),
        Index("ix_posts_category_created", "category", "created"),
        Index("ix_posts_author_created", "author_id", "created"),
    )


class Comment(Base):
    """A reply to a post, shown oldest first."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(lazy="raise")

    __table_args__ = (Index("ix_comments_post_created", "post_id", "created"),)


class Vote(Base):
    """One user's vote on one post: +1 or -1 (no row: no vote)."""

    __tablename__ = "votes"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[int] = mapped_column(SmallInteger)
    created: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("value IN (-1, 1)", name="value_is_one_or_minus_one"),
        Index("ix_votes_post_id", "post_id"),
    )


class OutboxEntry(Base):
    """An activity event written with its action, waiting to be handed to the queue."""

    __tablename__ = "outbox"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the event id
    event: Mapped[dict[str, Any]] = mapped_column(JSON)
    created: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (Index("ix_outbox_created", "created"),)


# The tables as SQLAlchemy Core sees them: the data layer builds its statements on these
# (Core statements cost less per execution than ORM ones; the classes above stay the schema).
users = cast(Table, User.__table__)
posts = cast(Table, Post.__table__)
comments = cast(Table, Comment.__table__)
votes = cast(Table, Vote.__table__)
outbox = cast(Table, OutboxEntry.__table__)
