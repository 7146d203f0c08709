"""One function per event type the web app emits, each with a human `details` line and
structured `data`, stamped with the request id that ties request, job and stored event."""

from __future__ import annotations

from typing import Literal

from src.common.events import ActivityEvent
from src.web.data.comments import CommentRecord
from src.web.data.posts import PostRecord
from src.web.data.users import UserRecord
from src.web.data.votes import VoteOutcome

__all__ = [
    "access_forbidden",
    "comment_created",
    "login_failed",
    "post_created",
    "post_voted",
    "user_logged_in",
    "user_logged_out",
    "user_registered",
]

_USERNAME_MAX = 64
_DIRECTIONS = {1: "up", -1: "down"}


def user_registered(user: UserRecord, *, request_id: str | None) -> ActivityEvent:
    """`user.register`: a new account."""
    return ActivityEvent.new(
        "user.register",
        user_id=user.id,
        username=user.username,
        details=f"{user.username} registered",
        data={"user_id": user.id},
        request_id=request_id,
    )


def user_logged_in(user: UserRecord, *, remember: bool, request_id: str | None) -> ActivityEvent:
    """`user.login`: a successful login."""
    lasting = "remembered for 30 days" if remember else "until the browser closes"
    return ActivityEvent.new(
        "user.login",
        user_id=user.id,
        username=user.username,
        details=f"{user.username} logged in ({lasting})",
        data={"remember_me": remember},
        request_id=request_id,
    )


def login_failed(
    username: str,
    user: UserRecord | None,
    *,
    remote: str | None,
    request_id: str | None,
) -> ActivityEvent:
    """`user.login_failed`: a wrong password, or a name nobody has."""
    reason: Literal["wrong_password", "unknown_user"] = (
        "wrong_password" if user is not None else "unknown_user"
    )
    name = user.username if user is not None else username[:_USERNAME_MAX]
    why = "wrong password" if user is not None else "no such user"
    return ActivityEvent.new(
        "user.login_failed",
        user_id=user.id if user is not None else None,
        username=name,
        details=f"failed login as {name!r} ({why}) from {remote or 'an unknown address'}",
        data={"reason": reason, "remote": remote},
        request_id=request_id,
    )


def user_logged_out(user: UserRecord, *, request_id: str | None) -> ActivityEvent:
    """`user.logout`."""
    return ActivityEvent.new(
        "user.logout",
        user_id=user.id,
        username=user.username,
        details=f"{user.username} logged out",
        request_id=request_id,
    )


def post_created(user: UserRecord, post: PostRecord, *, request_id: str | None) -> ActivityEvent:
    """`post.create`."""
    return ActivityEvent.new(
        "post.create",
        user_id=user.id,
        username=user.username,
        details=f"{user.username} posted {post.title!r} in c/{post.category}",
        data={"post_id": post.id, "category": post.category, "title": post.title},
        request_id=request_id,
    )


def _vote_details(username: str, outcome: VoteOutcome) -> str:
    post = f"post {outcome.post_id}"
    if outcome.current == 0:
        return f"{username} took back the {_DIRECTIONS[outcome.previous]}-vote on {post}"
    if outcome.previous == 0:
        return f"{username} {_DIRECTIONS[outcome.current]}-voted {post}"
    before, after = _DIRECTIONS[outcome.previous], _DIRECTIONS[outcome.current]
    return f"{username} changed the vote on {post} from {before} to {after}"


def post_voted(
    user: UserRecord, outcome: VoteOutcome, *, direction: str, request_id: str | None
) -> ActivityEvent:
    """`post.vote`: a click on an arrow, whatever it did (vote, change, take back)."""
    return ActivityEvent.new(
        "post.vote",
        user_id=user.id,
        username=user.username,
        details=f"{_vote_details(user.username, outcome)} (score {outcome.score})",
        data={
            "post_id": outcome.post_id,
            "direction": direction,
            "previous": outcome.previous_direction,
            "current": outcome.current_direction,
            "score": outcome.score,
        },
        request_id=request_id,
    )


def comment_created(
    user: UserRecord, comment: CommentRecord, *, request_id: str | None
) -> ActivityEvent:
    """`comment.create`."""
    return ActivityEvent.new(
        "comment.create",
        user_id=user.id,
        username=user.username,
        details=f"{user.username} commented on post {comment.post_id}",
        data={"post_id": comment.post_id, "comment_id": comment.id},
        request_id=request_id,
    )


def access_forbidden(
    user: UserRecord | None,
    *,
    method: str,
    path: str,
    remote: str | None,
    request_id: str | None,
) -> ActivityEvent:
    """`auth.forbidden`: a visitor or a non-admin user asked for the operator area."""
    who = user.username if user is not None else f"a visitor from {remote or 'an unknown address'}"
    return ActivityEvent.new(
        "auth.forbidden",
        user_id=user.id if user is not None else None,
        username=user.username if user is not None else None,
        details=f"{who} was refused {method} {path[:200]} (admins only)",
        data={"method": method, "path": path[:200], "remote": remote},
        request_id=request_id,
    )
