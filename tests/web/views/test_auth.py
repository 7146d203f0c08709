from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cryptography.fernet import Fernet

from src.web.app_keys import DATABASE
from src.web.data.users import find_user
from src.web.security.sessions import COOKIE_KEY_PURPOSE, COOKIE_NAME, derive_key
from tests.conftest import TEST_SECRET
from tests.support.site_client import PASSWORD, SiteClient
from tests.web.conftest import app_of


async def _who(site: SiteClient) -> str | None:
    match = re.search(r'class="user-link" href="/u/([^"]+)"', await site.page("/"))
    return match.group(1) if match else None


async def test_register_logs_in_and_goes_to_next(site: SiteClient) -> None:
    response = await site.post(
        "/register",
        {
            "username": "alice",
            "email": "alice@example.org",
            "password": "long password",
            "password2": "long password",
            "next": "/c/python",
        },
    )
    assert response.status == 303
    assert response.headers["Location"] == "/c/python"
    assert await _who(site) == "alice"


async def test_a_bad_registration_shows_the_errors_and_keeps_the_input(site: SiteClient) -> None:
    response = await site.post(
        "/register",
        {"username": "al", "email": "x@example.org", "password": "pw", "password2": "pw"},
    )
    assert response.status == 400
    page = await response.text()
    assert "Use 3 to 32 characters." in page
    assert "at least 8 characters" in page
    assert 'value="x@example.org"' in page
    assert await _who(site) is None


async def test_a_taken_username_is_a_400_naming_it(
    site: SiteClient, visitor: Callable[[SiteClient], Awaitable[SiteClient]]
) -> None:
    assert (await site.register("alice")).status == 303
    other = await visitor(site)
    response = await other.register("ALICE", email="other@example.org")
    assert response.status == 400
    assert "The username &#39;ALICE&#39; is taken" in await response.text()


async def test_login_and_logout(
    site: SiteClient, visitor: Callable[[SiteClient], Awaitable[SiteClient]]
) -> None:
    await site.register("alice")
    other = await visitor(site)
    response = await other.login("Alice", remember=False)
    assert response.status == 303
    assert response.headers["Location"] == "/"
    assert await _who(other) == "alice"
    response = await other.logout()
    assert response.status == 303
    assert await _who(other) is None


async def test_a_wrong_password_is_a_401_with_the_form_again(
    site: SiteClient, visitor: Callable[[SiteClient], Awaitable[SiteClient]]
) -> None:
    await site.register("alice")
    other = await visitor(site)
    for name in ("alice", "nobody"):
        response = await other.login(name, "wrong password!")
        assert response.status == 401
        page = await response.text()
        assert "Wrong username or password." in page
        assert f'value="{name}"' in page
    assert await _who(other) is None


async def test_an_empty_login_form_is_a_400(site: SiteClient) -> None:
    response = await site.post("/login", {"username": "", "password": ""})
    assert response.status == 400
    assert "Enter your username." in await response.text()


async def test_remember_me_makes_a_persistent_cookie(
    site: SiteClient, visitor: Callable[[SiteClient], Awaitable[SiteClient]]
) -> None:
    await site.register("alice")
    short, lasting = await visitor(site), await visitor(site)
    plain = await short.login("alice")
    remembered = await lasting.login("alice", remember=True)
    plain_cookie = plain.cookies["wolfit_session"]
    remembered_cookie = remembered.cookies["wolfit_session"]
    assert plain_cookie["max-age"] == ""
    assert int(remembered_cookie["max-age"]) == 30 * 24 * 3600
    for cookie in (plain_cookie, remembered_cookie):
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"


def _seal(content: dict[str, Any]) -> str:
    """A session cookie as the server makes one (the tests know its secret)."""
    return _fernet().encrypt(json.dumps(content).encode()).decode()


def _open(cookie: str) -> dict[str, Any]:
    """What the server keeps in a session cookie: `{"created": ..., "session": {...}}`."""
    content: dict[str, Any] = json.loads(_fernet().decrypt(cookie.encode()))
    return content


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derive_key(TEST_SECRET, COOKIE_KEY_PURPOSE)))


async def test_login_replaces_the_session(
    site: SiteClient, visitor: Callable[[SiteClient], Awaitable[SiteClient]]
) -> None:
    """No fixation: a session planted before login (its CSRF token, anything else in it)
    is not the session after login, which holds only the user."""
    await site.register("alice")
    alice = await app_of(site)[DATABASE].read(find_user, "alice")
    assert alice is not None
    victim = await visitor(site)
    planted = {"csrf_token": "planted-token", "planted": "by someone else"}
    victim.client.session.cookie_jar.update_cookies(
        {COOKIE_NAME: _seal({"created": int(time.time()), "session": planted})},
        response_url=victim.client.make_url("/"),
    )
    response = await victim.post(
        "/login", {"username": "alice", "password": PASSWORD}, csrf="planted-token"
    )
    assert response.status == 303  # the planted session was honoured until the login...
    after = _open(response.cookies[COOKIE_NAME].value)["session"]
    assert after == {"user_id": alice.id}  # ...and nothing of it survived
    assert await victim.csrf("/") != "planted-token"
    stale = await victim.post("/submit", {"title": "t", "category": "c"}, csrf="planted-token")
    assert stale.status == 403


async def test_next_never_leaves_the_site(site: SiteClient) -> None:
    await site.register("alice")
    await site.logout()
    response = await site.post(
        "/login",
        {"username": "alice", "password": "correct horse battery", "next": "https://evil.example/"},
    )
    assert response.status == 303
    assert response.headers["Location"] == "/"
    await site.logout()
    response = await site.post(
        "/login",
        {"username": "alice", "password": "correct horse battery", "next": "//evil.example"},
    )
    assert response.headers["Location"] == "/"


async def test_logged_in_users_skip_the_login_page(site: SiteClient) -> None:
    await site.register("alice")
    response = await site.client.get("/login?next=/submit", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/submit"


async def test_logout_is_post_only(site: SiteClient) -> None:
    response = await site.client.get("/logout", allow_redirects=False)
    assert response.status == 405
    assert "does not accept that kind of request" in await response.text()
