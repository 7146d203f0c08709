"""redis-py types its commands as "awaitable or not" (one signature for sync and asyncio
clients); on our asyncio clients every reply is awaitable, and `reply` says so to mypy."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar, cast

__all__ = ["reply"]

T = TypeVar("T")


async def reply(command: Awaitable[T] | T) -> T:
    """Await an asyncio redis-py command with the type its signature promises."""
    return await cast(Awaitable[T], command)
