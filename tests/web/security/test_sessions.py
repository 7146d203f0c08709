from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable

import pytest

from src.web.security import sessions
from src.web.security.sessions import (
    REMEMBER_LIFETIME,
    SESSION_LIFETIME,
    derive_key,
    session_storage,
)
from tests.support.site_client import SiteClient


def test_keys_are_32_bytes_and_differ_by_purpose_and_secret() -> None:
    one = derive_key("a-secret-of-sixteen-plus", b"cookie")
    assert len(one) == 32
    assert one == derive_key("a-secret-of-sixteen-plus", b"cookie")
    assert one != derive_key("a-secret-of-sixteen-plus", b"other")
    assert one != derive_key("another-secret-sixteen+", b"cookie")


def test_the_cookie_is_httponly_and_samesite_lax() -> None:
    storage = session_storage("a-secret-of-sixteen-plus")
    assert storage.cookie_params["httponly"] is True
    assert storage.cookie_params["samesite"] == "Lax"
    assert storage.max_age is None  # a browser-session cookie unless "remember me"


async def _logged_in_as(site: SiteClient) -> str | None:
    match = re.search(r'class="user-link" href="/u/([^"]+)"', await site.page("/"))
    return match.group(1) if match else None


@pytest.mark.parametrize(
    ("remember", "lifetime"), [(False, SESSION_LIFETIME), (True, REMEMBER_LIFETIME)]
)
async def test_the_server_ends_a_session_after_its_lifetime(
    site: SiteClient,
    visitor: Callable[[SiteClient], Awaitable[SiteClient]],
    monkeypatch: pytest.MonkeyPatch,
    remember: bool,
    lifetime: int,
) -> None:
    """12 hours without "remember me", 30 days with it, counted from the login, whatever
    the browser does with the cookie; the clock is the module's `now`, moved by the test."""
    await site.register("alice")
    user = await visitor(site)
    logged_in_at = time.time()
    assert (await user.login("alice", remember=remember)).status == 303

    def clock_at(seconds_after_login: float) -> None:
        monkeypatch.setattr(sessions, "now", lambda: logged_in_at + seconds_after_login)

    if remember:
        clock_at(SESSION_LIFETIME + 60)
        assert await _logged_in_as(user) == "alice"  # it outlives a plain session
    clock_at(lifetime - 60)
    assert await _logged_in_as(user) == "alice"
    clock_at(lifetime + 60)
    assert await _logged_in_as(user) is None
    clock_at(0)  # the expired session was dropped, not just ignored while the clock was late
    assert await _logged_in_as(user) is None
    assert await _logged_in_as(site) == "alice"  # other sessions are untouched


@pytest.mark.parametrize("remember", [False, True])
async def test_a_session_is_sent_again_only_when_it_changed(
    site: SiteClient, remember: bool
) -> None:
    """Encrypting and sending the cookie costs every response; an unchanged session skips it."""
    await site.register("alice")
    await site.logout()
    login = await site.login("alice", remember=remember)
    assert "Set-Cookie" in login.headers  # a new session at login
    post_id = await site.submit()
    for path in ("/", f"/p/{post_id}", "/u/alice", "/submit"):
        response = await site.client.get(path)
        assert response.status == 200
        assert "Set-Cookie" not in response.headers, path
    vote = await site.vote(post_id, "up")
    assert vote.status == 303
    assert "Set-Cookie" not in vote.headers
    assert await _logged_in_as(site) == "alice"  # and the session still works


async def test_a_first_visit_gets_a_cookie_once(site: SiteClient) -> None:
    first = await site.client.get("/login")
    assert "Set-Cookie" in first.headers  # the login form's CSRF token lives in it
    again = await site.client.get("/login")
    assert "Set-Cookie" not in again.headers
