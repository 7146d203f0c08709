"""Drive the web app through its forms, as a browser would: fetch the page, keep the cookie,
send the hidden CSRF token back. Used by the web tests against `aiohttp_client`."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"


class SiteClient:
    """One visitor of the site, with their own cookie jar."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client

    async def page(self, path: str, status: int = 200) -> str:
        """GET a page and answer its HTML, checking the status."""
        response = await self.client.get(path, allow_redirects=False)
        text = await response.text()
        assert response.status == status, (path, response.status, text[:500])
        return text

    async def csrf(self, path: str | None = None) -> str:
        """The CSRF token of a form on `path`; by default the login form for visitors and the
        log-out button of the front page for users."""
        if path is None:
            response = await self.client.get("/login", allow_redirects=False)
            path = "/login" if response.status == 200 else "/"
        match = CSRF_INPUT.search(await self.page(path))
        assert match, f"no csrf_token field on {path}"
        return match.group(1)

    async def post(
        self,
        path: str,
        data: dict[str, str] | None = None,
        *,
        csrf: str | None = "fetch",
        headers: dict[str, str] | None = None,
    ) -> ClientResponse:
        """POST a form without following redirects; the CSRF token is fetched unless given
        (`csrf=None` sends none)."""
        form = dict(data or {})
        if csrf == "fetch":
            form["csrf_token"] = await self.csrf()
        elif csrf is not None:
            form["csrf_token"] = csrf
        response = await self.client.post(path, data=form, allow_redirects=False, headers=headers)
        await response.read()
        return response

    async def register(
        self, username: str, password: str = PASSWORD, email: str | None = None
    ) -> ClientResponse:
        """Register (and so log in) `username`."""
        return await self.post(
            "/register",
            {
                "username": username,
                "email": email or f"{username}@example.org",
                "password": password,
                "password2": password,
            },
        )

    async def login(
        self, username: str, password: str = PASSWORD, *, remember: bool = False
    ) -> ClientResponse:
        data = {"username": username, "password": password}
        if remember:
            data["remember_me"] = "on"
        return await self.post("/login", data)

    async def logout(self) -> ClientResponse:
        return await self.post("/logout")

    async def submit(
        self, title: str = "A post", body: str = "Some *text*.", category: str = "general"
    ) -> int:
        """Create a post and answer its id."""
        response = await self.post("/submit", {"title": title, "body": body, "category": category})
        assert response.status == 303, (response.status, await response.text())
        return int(response.headers["Location"].rsplit("/", 1)[1])

    async def vote(self, post_id: int, direction: str) -> ClientResponse:
        return await self.post(f"/p/{post_id}/vote", {"direction": direction})

    async def comment(self, post_id: int, body: str) -> ClientResponse:
        return await self.post(f"/p/{post_id}/comment", {"body": body})

    async def score(self, post_id: int) -> int:
        """The score shown on the post's page."""
        match = re.search(rf'id="score-{post_id}"[^>]*>(-?\d+)<', await self.page(f"/p/{post_id}"))
        assert match
        return int(match.group(1))
