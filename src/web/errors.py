"""Errors of the web app's data layer; the error-page middleware turns them into answers.

WebError            something the user asked for cannot be done
├── NotFound        no such post, user, category or page (404)
└── Conflict        the request clashes with what exists (400 with a message on forms)
    ├── UsernameTaken
    └── EmailTaken
"""

from __future__ import annotations

__all__ = ["Conflict", "EmailTaken", "NotFound", "UsernameTaken", "WebError"]


class WebError(Exception):
    """Something the user asked for cannot be done; the message is for the user."""


class NotFound(WebError):
    """No such post, user, category or page."""


class Conflict(WebError):
    """The request clashes with what exists."""


class UsernameTaken(Conflict):
    """Another account has this username (ignoring case)."""

    def __init__(self, username: str) -> None:
        super().__init__(f"The username {username!r} is taken; choose another one.")
        self.username = username


class EmailTaken(Conflict):
    """Another account uses this email address."""

    def __init__(self, email: str) -> None:
        super().__init__("An account with this email address exists already; log in instead.")
        self.email = email
