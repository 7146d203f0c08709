"""Comparing a secret token someone sent with the one expected, safely.

Used for every bearer token and CSRF token of the suite (activity API, ops API, web forms).
Two things matter: the comparison takes the same time however much of the token matches
(so it cannot be guessed byte by byte), and any header is accepted as input: aiohttp hands
header bytes that are not UTF-8 over as surrogate characters, which a plain `str.encode()`
refuses with an error (a 500 where a 401 or 403 belongs).
"""

from __future__ import annotations

import hmac

__all__ = ["tokens_match"]


def _raw(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")


def tokens_match(expected: str | bytes, sent: str | bytes) -> bool:
    """Whether `sent` is the token `expected`, compared in constant time."""
    return hmac.compare_digest(_raw(expected), _raw(sent))
