"""Encrypted-cookie sessions: who is logged in, for how long, and renewal at login.

The cookie is a Fernet token (AES + HMAC) made with a key derived from `SECRET_KEY`, so it
can be neither read nor forged. It is HttpOnly and SameSite=Lax. Without "remember me" it is
a browser-session cookie that the server also stops honouring after `SESSION_LIFETIME`;
with it, the cookie and the session last `REMEMBER_LIFETIME`. Login replaces the session
with a new one (new CSRF token too), so nothing set before login survives it.
"""

from __future__ import annotations

import time

from aiohttp import web
from aiohttp_session import Session, get_session, new_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "COOKIE_KEY_PURPOSE",
    "COOKIE_NAME",
    "REMEMBER_LIFETIME",
    "SESSION_LIFETIME",
    "derive_key",
    "load_session",
    "log_in",
    "log_out",
    "now",
    "session_storage",
    "session_user_id",
]

COOKIE_NAME = "wolfit_session"
COOKIE_KEY_PURPOSE = b"wolfit session cookie"  # the HKDF info of the cookie's key
SESSION_LIFETIME = 12 * 3600
REMEMBER_LIFETIME = 30 * 24 * 3600
_USER_ID = "user_id"
_REMEMBER = "remember"


def now() -> float:
    """Seconds since the epoch, by which sessions age; tests replace it to move the clock."""
    return time.time()


def derive_key(secret: str, purpose: bytes) -> bytes:
    """32 bytes for one `purpose`, derived from the app secret with HKDF-SHA256."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode()
    )


def session_storage(secret: str) -> EncryptedCookieStorage:
    """The cookie storage of the app (aiohttp-session wants 32 raw bytes, not a Fernet key)."""
    return EncryptedCookieStorage(
        derive_key(secret, COOKIE_KEY_PURPOSE),
        cookie_name=COOKIE_NAME,
        httponly=True,
        samesite="Lax",
        max_age=None,
    )


async def load_session(request: web.Request) -> Session:
    """The request's session, emptied when it outlived its lifetime."""
    session = await get_session(request)
    remember = bool(session.get(_REMEMBER))
    lifetime = REMEMBER_LIFETIME if remember else SESSION_LIFETIME
    if not session.new and now() - session.created > lifetime:
        session.invalidate()
    elif remember:
        # A remembered session keeps its persistent cookie whenever it is saved again.
        session.max_age = REMEMBER_LIFETIME
    return session


async def session_user_id(request: web.Request) -> int | None:
    """The id of the logged-in user, or None."""
    session = await load_session(request)
    user_id = session.get(_USER_ID)
    return user_id if isinstance(user_id, int) else None


async def log_in(request: web.Request, user_id: int, *, remember: bool) -> Session:
    """Start a brand-new session for `user_id` (the old one, and its CSRF token, are gone)."""
    session = await new_session(request)
    session[_USER_ID] = user_id
    if remember:
        session[_REMEMBER] = True
        session.max_age = REMEMBER_LIFETIME
    return session


async def log_out(request: web.Request) -> None:
    """End the session: the cookie is cleared in the answer."""
    session = await get_session(request)
    session.invalidate()
