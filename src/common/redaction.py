"""Text with secrets in it made safe to print: log lines, error lines, status tables.

One rule for the whole suite: the password of a URL's `user:password@` and the value of a
`password=` parameter become `***`. Text, not parsed URLs, because what must be printed is
often a malformed setting the URL parser refuses, and it may still hold a real password.
"""

from __future__ import annotations

import re

__all__ = ["without_password"]

_URL_PASSWORD = re.compile(r"(?<=://)([^/@:\s]*):[^/\s]*@")
_QUERY_PASSWORD = re.compile(r"(?i)(\bpassword=)[^&\s]*")


def without_password(text: str) -> str:
    """`text` with every URL password and `password=` value replaced by `***`."""
    return _QUERY_PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1:***@", text))
