"""CSRF through the real app: every form POST without the session's token is refused (403)
and changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.support.site_client import SiteClient


@pytest.fixture
async def logged_in(site: SiteClient) -> tuple[SiteClient, int]:
    await site.register("alice")
    return site, await site.submit("The one post")


@pytest.mark.parametrize("token", [None, "", "wrong-token", "ä-non-ascii"])
async def test_forms_without_the_right_token_are_refused(
    logged_in: tuple[SiteClient, int], token: str | None
) -> None:
    site, post_id = logged_in
    attempts = [
        ("/submit", {"title": "Sneaky", "category": "general"}),
        (f"/p/{post_id}/vote", {"direction": "up"}),
        (f"/p/{post_id}/comment", {"body": "sneaky comment"}),
        ("/logout", {}),
    ]
    for path, data in attempts:
        response = await site.post(path, data, csrf=token)
        assert response.status == 403, path
        assert "did not come from this site" in await response.text()
    # Nothing changed: still one post, no vote, no comment, still logged in.
    page = await site.page("/")
    assert page.count('class="post-summary"') == 1
    assert await site.score(post_id) == 0
    assert "sneaky comment" not in await site.page(f"/p/{post_id}")
    assert 'class="user-link"' in page


async def test_another_visitors_token_does_not_count(
    logged_in: tuple[SiteClient, int], visitor: Callable[[SiteClient], Awaitable[SiteClient]]
) -> None:
    site, post_id = logged_in
    stranger = await visitor(site)
    foreign = await stranger.csrf()
    assert (await site.vote(post_id, "up")).status == 303  # with its own token: fine
    assert (await site.post(f"/p/{post_id}/vote", {"direction": "up"}, csrf=foreign)).status == 403
    assert await site.score(post_id) == 1


async def test_register_and_login_need_the_token_too(site: SiteClient) -> None:
    data = {
        "username": "mallory",
        "email": "m@example.org",
        "password": "long password",
        "password2": "long password",
    }
    assert (await site.post("/register", data, csrf=None)).status == 403
    assert (
        await site.post("/login", {"username": "mallory", "password": "x"}, csrf=None)
    ).status == 403
    assert (await site.register("mallory")).status == 303  # the user did not exist before


async def test_the_token_may_come_in_a_header(logged_in: tuple[SiteClient, int]) -> None:
    site, post_id = logged_in
    token = await site.csrf()
    response = await site.post(
        f"/p/{post_id}/vote", {"direction": "up"}, csrf=None, headers={"X-CSRF-Token": token}
    )
    assert response.status == 303
