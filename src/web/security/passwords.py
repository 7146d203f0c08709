"""Password hashing with argon2id (argon2-cffi), off the event loop.

Hashing costs tens of milliseconds of CPU and 64 MiB by design; it runs in a thread so one
login does not stall every other request. A login for an unknown user still verifies against
a dummy hash, so response times do not tell which usernames exist.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["PasswordPolicy", "hash_password", "verify_password"]


class PasswordPolicy:
    """The hasher in use; tests swap in cheaper argon2 parameters through `use`."""

    hasher = PasswordHasher()
    _dummy_hash: str | None = None

    @classmethod
    def use(cls, hasher: PasswordHasher) -> None:
        """Hash and verify with `hasher` from now on."""
        cls.hasher = hasher
        cls._dummy_hash = None

    @classmethod
    def dummy_hash(cls) -> str:
        """A hash of a random password, to spend the same time on unknown users."""
        if cls._dummy_hash is None:
            cls._dummy_hash = cls.hasher.hash("not a password of anyone")
        return cls._dummy_hash


async def hash_password(password: str) -> str:
    """The argon2id hash of `password`, in PHC string form."""
    return await asyncio.to_thread(PasswordPolicy.hasher.hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return PasswordPolicy.hasher.verify(password_hash or PasswordPolicy.dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches `password_hash`; `None` (no such user) is always False."""
    matches = await asyncio.to_thread(_verify, password_hash, password)
    return matches and password_hash is not None
