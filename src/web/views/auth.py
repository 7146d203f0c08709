"""Accounts: register, log in (with "remember me") and log out."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy import Connection

from src.common.events import ActivityEvent
from src.common.middleware import request_id
from src.web.app_keys import DATABASE, EVENT_RECORDER
from src.web.auth import current_user
from src.web.data.users import UserRecord, create_user, find_user, set_password_hash
from src.web.errors import EmailTaken, UsernameTaken
from src.web.events import builders
from src.web.forms import FormInvalid, parse_login, parse_register, read_form
from src.web.ops.signals import note_failed_login
from src.web.security.passwords import PasswordPolicy, hash_password, verify_password
from src.web.security.sessions import log_in, log_out
from src.web.templating import render
from src.web.views.common import redirect, safe_next_from

__all__ = ["login", "login_form", "logout", "register", "register_form"]

WRONG_LOGIN = "Wrong username or password."


def _next(request: web.Request, form: MultiDictProxy[Any] | None = None) -> str:
    value = form.get("next") if form is not None else request.query.get("next")
    return safe_next_from(value, request.app.router["front_page"].url_for())


async def _page(
    request: web.Request,
    template: str,
    *,
    next_path: str,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    context = {"errors": errors or {}, "values": values or {}, "next": next_path}
    return await render(request, template, context, status=status)


async def _again(
    request: web.Request,
    template: str,
    next_path: str,
    errors: dict[str, str],
    values: dict[str, str],
    status: int = 400,
) -> web.Response:
    """The form once more, with what was wrong and what the user typed (never passwords)."""
    return await _page(
        request, template, next_path=next_path, errors=errors, values=values, status=status
    )


async def _blank_form(request: web.Request, template: str) -> web.StreamResponse:
    """An empty login or register form; a visitor already logged in goes straight on."""
    if await current_user(request) is not None:
        raise redirect(_next(request))
    return await _page(request, template, next_path=_next(request))


async def register_form(request: web.Request) -> web.StreamResponse:
    """`GET /register`."""
    return await _blank_form(request, "register.html")


async def register(request: web.Request) -> web.StreamResponse:
    """`POST /register` (`username`, `email`, `password`, `password2`): an account, logged in."""
    form = await read_form(request)
    next_path = _next(request, form)
    try:
        fields = parse_register(form)
    except FormInvalid as exc:
        return await _again(request, "register.html", next_path, exc.errors, exc.values)
    password_hash = await hash_password(fields.password)
    recorder = request.app[EVENT_RECORDER]

    def create(connection: Connection) -> tuple[UserRecord, ActivityEvent]:
        user = create_user(
            connection, username=fields.username, email=fields.email, password_hash=password_hash
        )
        event = builders.user_registered(user, request_id=request_id(request))
        recorder.stage(connection, event)
        return user, event

    try:
        user, event = await request.app[DATABASE].write(create)
    except (UsernameTaken, EmailTaken) as exc:
        field = "username" if isinstance(exc, UsernameTaken) else "email"
        values = {"username": fields.username, "email": fields.email}
        return await _again(request, "register.html", next_path, {field: str(exc)}, values)
    await recorder.deliver(event)
    await log_in(request, user.id, remember=False)
    raise redirect(next_path)


async def login_form(request: web.Request) -> web.StreamResponse:
    """`GET /login`."""
    return await _blank_form(request, "login.html")


async def login(request: web.Request) -> web.StreamResponse:
    """`POST /login` (`username`, `password`, `remember_me`): a new session, or 401."""
    form = await read_form(request)
    next_path = _next(request, form)
    try:
        fields = parse_login(form)
    except FormInvalid as exc:
        return await _again(request, "login.html", next_path, exc.errors, exc.values)
    database, recorder = request.app[DATABASE], request.app[EVENT_RECORDER]
    user = await database.read(find_user, fields.username)
    password_hash = user.password_hash if user is not None else None
    if user is None or not await verify_password(password_hash, fields.password):
        failed = builders.login_failed(
            fields.username, user, remote=request.remote, request_id=request_id(request)
        )
        await recorder.record(failed)
        await note_failed_login(request.app, fields.username)
        values = {"username": fields.username, "remember_me": "on" if fields.remember_me else ""}
        return await _again(request, "login.html", next_path, {"form": WRONG_LOGIN}, values, 401)
    new_hash = None
    if PasswordPolicy.hasher.check_needs_rehash(user.password_hash):
        new_hash = await hash_password(fields.password)
    event = builders.user_logged_in(
        user, remember=fields.remember_me, request_id=request_id(request)
    )

    def logged_in(connection: Connection) -> None:
        if new_hash is not None:
            set_password_hash(connection, user.id, new_hash)
        recorder.stage(connection, event)

    await database.write(logged_in)
    await recorder.deliver(event)
    await log_in(request, user.id, remember=fields.remember_me)
    raise redirect(next_path)


async def logout(request: web.Request) -> web.StreamResponse:
    """`POST /logout`: the session ends; back to the front page."""
    user = await current_user(request)
    if user is not None:
        await request.app[EVENT_RECORDER].record(
            builders.user_logged_out(user, request_id=request_id(request))
        )
    await log_out(request)
    raise redirect(request.app.router["front_page"].url_for())
