"""Where a `next=` parameter may send the user: only to a path on this site."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["safe_next"]

_MAX_LENGTH = 2000


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a relative path on this site, else `default`.

    Rejected: absolute URLs, scheme-relative `//host`, backslash tricks browsers read as
    `//host`, anything with control characters, and overlong values.
    """
    if not target or len(target) > _MAX_LENGTH:
        return default
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(char) < 0x20 or char in "\\\x7f" for char in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
