"""The site's forms: reading them, field names of docs/web-app.md, checks, and messages.

`read_form` is the one way the site reads a posted form (the CSRF middleware, then the
views): a body that is not form data in UTF-8 is a 400 page, never a 500. Each `parse_*`
takes the form and answers the cleaned values, or raises `FormInvalid` whose `errors` map
each field to a sentence, so the view re-renders the form with them (400).

Text is cleaned before it is checked: control characters are invisible junk (and NUL is
refused by PostgreSQL), so titles and bodies lose them (bodies keep newlines and tabs), and
usernames, emails and categories, which have a shape, cannot contain them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage
from multidict import MultiDictProxy

from src.web.models import CATEGORY_MAX, EMAIL_MAX, TITLE_MAX, USERNAME_MAX

__all__ = [
    "UNREADABLE_FORM",
    "CommentForm",
    "FormInvalid",
    "FormUnreadable",
    "LoginForm",
    "PostForm",
    "RegisterForm",
    "parse_comment",
    "parse_direction",
    "parse_login",
    "parse_post",
    "parse_register",
    "read_form",
    "valid_category",
    "valid_username",
]

USERNAME_MIN = 3
PASSWORD_MIN = 8
PASSWORD_MAX = 1024  # argon2 hashes anything, but not megabytes per login
BODY_MAX = 40_000
COMMENT_MAX = 10_000
# Patterns are used with fullmatch: `$` would let a trailing newline through.
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
CATEGORY_PATTERN = re.compile(r"[a-z0-9_-]+")
EMAIL_PATTERN = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")
# C0 controls and DEL, except tab, newline and carriage return (line ends are normalised).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CHECKED = ("on", "true", "1", "yes")
UNREADABLE_FORM = (
    "This form could not be read: its data is not valid form data in UTF-8. "
    "Reload the page and send the form again."
)
# What aiohttp's form parser raises for bodies it cannot read: bad UTF-8 or an unknown
# charset (ValueError, LookupError), a malformed multipart body (ValueError, RuntimeError
# for an unknown transfer encoding, BadHttpMessage for too many part headers).
_UNREADABLE = (ValueError, LookupError, RuntimeError, BadHttpMessage)


class FormUnreadable(web.HTTPBadRequest):
    """The body of a POST is not a form the site can read (400, with a message)."""

    def __init__(self) -> None:
        super().__init__(text=UNREADABLE_FORM)


class FormInvalid(ValueError):
    """A form with bad fields; `errors` maps each field to what is wrong, `values` keeps input."""

    def __init__(self, errors: dict[str, str], values: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.values = values


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, e.g. decoded from charset=utf-7
        return False
    return True


async def read_form(request: web.Request) -> MultiDictProxy[Any]:
    """The request's posted fields (read once, then cached by aiohttp); `FormUnreadable`
    (400) for a body that is not form data, or whose text is not valid UTF-8."""
    try:
        form = await request.post()
    except _UNREADABLE as exc:
        raise FormUnreadable() from exc
    for name, value in form.items():
        if not _is_utf8(name) or (isinstance(value, str) and not _is_utf8(value)):
            raise FormUnreadable()
    return form


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _clean_text(value: str) -> str:
    # One kind of line end; no control characters but tab and newline (NUL included,
    # which PostgreSQL refuses in text columns).
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARACTERS.sub("", value)


@dataclass(frozen=True, slots=True)
class RegisterForm:
    username: str
    email: str
    password: str


@dataclass(frozen=True, slots=True)
class LoginForm:
    username: str
    password: str
    remember_me: bool


@dataclass(frozen=True, slots=True)
class PostForm:
    title: str
    body: str
    category: str


@dataclass(frozen=True, slots=True)
class CommentForm:
    body: str


def check_username(username: str) -> str | None:
    """What is wrong with a new username, or None."""
    if not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        return f"Use {USERNAME_MIN} to {USERNAME_MAX} characters."
    if not USERNAME_PATTERN.fullmatch(username):
        return "Use only letters, digits, '-' and '_'."
    return None


def check_email(email: str) -> str | None:
    """What is wrong with an email address, or None."""
    if not email:
        return "Enter your email address."
    if len(email) > EMAIL_MAX or not EMAIL_PATTERN.fullmatch(email):
        return "Enter an email address like name@example.org."
    return None


def check_password(password: str) -> str | None:
    """What is wrong with a new password, or None."""
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters."
    return None


def parse_register(form: Mapping[str, Any]) -> RegisterForm:
    """`username`, `email`, `password`, `password2`."""
    username = _text(form, "username").strip()
    email = _text(form, "email").strip()
    password, password2 = _text(form, "password"), _text(form, "password2")
    errors: dict[str, str] = {}
    for field, problem in (
        ("username", check_username(username)),
        ("email", check_email(email)),
        ("password", check_password(password)),
    ):
        if problem:
            errors[field] = problem
    if "password" not in errors and password != password2:
        errors["password2"] = "The two passwords differ; type the same one twice."
    if errors:
        raise FormInvalid(errors, {"username": username, "email": email})
    return RegisterForm(username=username, email=email, password=password)


def parse_login(form: Mapping[str, Any]) -> LoginForm:
    """`username`, `password`, `remember_me` (a checkbox)."""
    username = _text(form, "username").strip()
    password = _text(form, "password")
    remember = _text(form, "remember_me").lower() in _CHECKED
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = "Enter your username."
    elif len(username) > USERNAME_MAX:
        errors["username"] = f"Usernames have at most {USERNAME_MAX} characters."
    elif not USERNAME_PATTERN.fullmatch(username):
        errors["username"] = "Usernames have only letters, digits, '-' and '_'."
    if not password:
        errors["password"] = "Enter your password."  # noqa: S105 (a message)
    elif len(password) > PASSWORD_MAX:
        errors["password"] = f"Passwords have at most {PASSWORD_MAX} characters."
    if errors:
        # A username that cannot exist is not echoed back (it may hold control characters).
        shown = username if "username" not in errors else ""
        raise FormInvalid(errors, {"username": shown, "remember_me": "on" if remember else ""})
    return LoginForm(username=username, password=password, remember_me=remember)


def parse_post(form: Mapping[str, Any]) -> PostForm:
    """`title`, `body` (Markdown, may be empty), `category`."""
    title = " ".join(_clean_text(_text(form, "title")).split())
    body = _clean_text(_text(form, "body")).strip()
    category = _text(form, "category").strip().lower()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Give your post a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Keep the title within {TITLE_MAX} characters."
    if len(body) > BODY_MAX:
        errors["body"] = f"Keep the text within {BODY_MAX:,} characters."
    if not category:
        errors["category"] = "Choose a category, for example 'general'."
    elif not valid_category(category):
        errors["category"] = (
            f"Use up to {CATEGORY_MAX} lowercase letters, digits, '-' and '_' (like 'python')."
        )
    if errors:
        raise FormInvalid(errors, {"title": title, "body": body, "category": category})
    return PostForm(title=title, body=body, category=category)


def parse_comment(form: Mapping[str, Any]) -> CommentForm:
    """`body`."""
    body = _clean_text(_text(form, "body")).strip()
    if not body:
        raise FormInvalid({"body": "Write something first."}, {"body": body})
    if len(body) > COMMENT_MAX:
        raise FormInvalid(
            {"body": f"Keep comments within {COMMENT_MAX:,} characters."}, {"body": body}
        )
    return CommentForm(body=body)


def parse_direction(form: Mapping[str, Any]) -> str | None:
    """`direction`: `up` or `down`, else None."""
    direction = _text(form, "direction").strip().lower()
    return direction if direction in ("up", "down") else None


def valid_category(name: str) -> bool:
    """Whether `name` can be a category (the shape new posts are held to)."""
    return 0 < len(name) <= CATEGORY_MAX and bool(CATEGORY_PATTERN.fullmatch(name))


def valid_username(name: str) -> bool:
    """Whether `name` can be someone's username: anything else names nobody, so pages
    answer 404 without asking the database (which may refuse it, as PostgreSQL does NUL)."""
    return 0 < len(name) <= USERNAME_MAX and bool(USERNAME_PATTERN.fullmatch(name))
