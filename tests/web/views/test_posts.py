from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest

from tests.support.html import active_content
from tests.support.site_client import SiteClient


async def test_submit_shows_the_post_on_the_front_page_and_its_category(site: SiteClient) -> None:
    await site.register("alice")
    post_id = await site.submit("Hello world", "Some **bold** text", "python")
    page = await site.page("/")
    assert f'href="/p/{post_id}">Hello world</a>' in page
    assert "c/python" in page
    assert "Hello world" in await site.page("/c/python")
    moved = await site.client.get("/c/Python?page=1", allow_redirects=False)
    assert moved.status == 301
    assert moved.headers["Location"] == "/c/python?page=1"
    post = await site.page(f"/p/{post_id}")
    assert "<strong>bold</strong>" in post


async def test_a_bad_post_is_a_400_with_errors_and_input_kept(site: SiteClient) -> None:
    await site.register("alice")
    response = await site.post("/submit", {"title": "", "body": "keep me", "category": "bad name"})
    assert response.status == 400
    page = await response.text()
    assert "Give your post a title." in page
    assert "lowercase letters" in page
    assert "keep me" in page
    assert "No posts yet" in await site.page("/")


async def test_submit_needs_a_login(site: SiteClient) -> None:
    response = await site.client.get("/submit", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/login?next=/submit"


async def test_vote_change_and_take_back(site: SiteClient) -> None:
    await site.register("alice")
    post_id = await site.submit()
    response = await site.vote(post_id, "up")
    assert response.status == 303
    assert response.headers["Location"] == f"/p/{post_id}"
    assert await site.score(post_id) == 1
    await site.vote(post_id, "down")
    assert await site.score(post_id) == -1
    await site.vote(post_id, "down")
    assert await site.score(post_id) == 0


async def test_votes_of_two_users_add_up(
    site: SiteClient, visitor: Callable[[SiteClient], Awaitable[SiteClient]]
) -> None:
    await site.register("alice")
    post_id = await site.submit()
    bob = await visitor(site)
    await bob.register("bob")
    await site.vote(post_id, "up")
    await bob.vote(post_id, "up")
    assert await site.score(post_id) == 2
    assert 'class="arrow up active"' in await bob.page(f"/p/{post_id}")


async def test_a_vote_from_the_front_page_comes_back_to_it(site: SiteClient) -> None:
    await site.register("alice")
    post_id = await site.submit()
    response = await site.post(f"/p/{post_id}/vote", {"direction": "up", "next": "/?page=1"})
    assert response.headers["Location"] == "/?page=1"
    response = await site.post(
        f"/p/{post_id}/vote", {"direction": "up", "next": "https://evil.example"}
    )
    assert response.headers["Location"] == f"/p/{post_id}"


@pytest.mark.parametrize("direction", ["", "sideways", "UP!"])
async def test_a_bad_direction_is_a_400_and_changes_nothing(
    site: SiteClient, direction: str
) -> None:
    await site.register("alice")
    post_id = await site.submit()
    response = await site.vote(post_id, direction)
    assert response.status == 400
    assert "direction=up or direction=down" in await response.text()
    assert await site.score(post_id) == 0


async def test_voting_or_commenting_logged_out_goes_to_login(
    site: SiteClient, visitor: Callable[[SiteClient], Awaitable[SiteClient]]
) -> None:
    await site.register("alice")
    post_id = await site.submit()
    guest = await visitor(site)
    for response in (await guest.vote(post_id, "up"), await guest.comment(post_id, "hi")):
        assert response.status == 303
        assert response.headers["Location"] == f"/login?next=/p/{post_id}"
    assert await site.score(post_id) == 0


async def test_comments(site: SiteClient) -> None:
    await site.register("alice")
    post_id = await site.submit()
    response = await site.comment(post_id, "A *reply*")
    assert response.status == 303
    location = response.headers["Location"]
    assert re.fullmatch(rf"/p/{post_id}#comment-\d+", location)
    page = await site.page(f"/p/{post_id}")
    assert "<em>reply</em>" in page
    assert "1 comment<" in page
    empty = await site.comment(post_id, "   ")
    assert empty.status == 400
    assert "Write something first." in await empty.text()


async def test_votes_and_comments_on_missing_posts_are_404(site: SiteClient) -> None:
    await site.register("alice")
    assert (await site.vote(999, "up")).status == 404
    assert (await site.comment(999, "hi")).status == 404


async def test_an_xss_body_renders_inert(site: SiteClient) -> None:
    await site.register("alice")
    body = (
        "<script>alert('body')</script>\n\n<img src=x onerror=alert(1)>\n\n"
        '[click me](javascript:alert(document.cookie))\n\n<a href="javascript:alert(2)">raw</a>'
    )
    post_id = await site.submit("<script>alert('title')</script>", body)
    await site.comment(post_id, "<svg onload=alert(3)> [x](javascript:alert(4))")
    for path in (f"/p/{post_id}", "/", "/u/alice"):
        page = await site.page(path)
        assert active_content(page) == [], path
    page = await site.page(f"/p/{post_id}")
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in page


async def test_pages_of_the_front_page(site: SiteClient) -> None:
    assert (await site.client.get("/?page=2")).status == 404
    for bad in ("abc", "0", "-1", "1.5", "9" * 5000, "１"):
        response = await site.client.get(f"/?page={bad}")
        assert response.status == 400, bad
        assert "?page= must be a whole number" in await response.text()


async def test_unknown_things_are_404_pages(site: SiteClient) -> None:
    for path in (
        "/p/999",
        "/p/99999999999999999999",
        "/u/nobody",
        "/c/empty",
        "/c/Bad%20Name",
        "/nowhere",
    ):
        response = await site.client.get(path)
        assert response.status == 404, path
        assert "Not found" in await response.text()
