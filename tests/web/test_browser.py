"""The site in a real headless Chromium (Playwright): register, post, vote, and see the
score change, the way a person would. With WOLFIT_SCREENSHOTS=1 it also saves the front page
and a post page to docs/screenshots/ (never in CI, so the tree stays clean)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from src.common.settings import Settings
from src.web import create_app
from src.web.commands.seed import seed
from src.web.database import Database
from tests.support.browser import BROWSER_MARKS, chromium_page, screenshot

pytestmark = BROWSER_MARKS


@pytest.fixture
async def server(
    web_settings: Settings,
    redis_url: str,
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> TestServer:
    database = Database(web_settings.database_url)
    try:
        await seed(database)  # a front page with some life in it
    finally:
        await database.close()
    # The default mode, as users run it; events wait in the test's Redis (no worker here).
    settings = web_settings.model_copy(update={"activity_mode": "async", "redis_url": redis_url})
    return await aiohttp_server(create_app(settings))


@pytest.fixture
async def page(server: TestServer) -> AsyncIterator[Any]:
    async with chromium_page(str(server.make_url("/")), width=1100) as page:
        yield page


async def test_register_post_and_vote_in_a_browser(page: Any) -> None:
    from playwright.async_api import expect

    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )

    await page.goto("/")
    await expect(page.get_by_role("heading", name="Newest posts")).to_be_visible()
    await page.get_by_role("navigation", name="Site").get_by_role("link", name="Register").click()
    await page.get_by_label("Username").fill("carol")
    await page.get_by_label("Email").fill("carol@example.org")
    await page.get_by_label("Password (at least 8 characters)").fill("carols password")
    await page.get_by_label("Password again").fill("carols password")
    await page.get_by_role("button", name="Register").click()
    await expect(page.locator(".user-link")).to_have_text("carol")

    await page.get_by_role("link", name="New post").click()
    await page.get_by_label("Title").fill("Hello from a real browser")
    await page.get_by_label("Category").fill("meta")
    await page.get_by_label("Text").fill("Written in **Chromium**, sent as a form.")
    await page.get_by_role("button", name="Post").click()
    await expect(page.get_by_role("heading", name="Hello from a real browser")).to_be_visible()
    await expect(page.locator(".post-body strong")).to_have_text("Chromium")

    score = page.locator(".post-full .score")
    await expect(score).to_have_text("0")
    await page.locator(".post-full").get_by_role("button", name="up-vote").click()
    await expect(score).to_have_text("1")
    await expect(page.locator(".post-full .arrow.up")).to_have_class("arrow up active")
    await page.locator(".post-full").get_by_role("button", name="down-vote").click()
    await expect(score).to_have_text("-1")
    await page.locator(".post-full").get_by_role("button", name="up-vote").click()
    await expect(score).to_have_text("1")

    await page.get_by_label("Add a comment").fill("Voted *and* commented.")
    await page.get_by_role("button", name="Comment").click()
    await expect(page.locator(".comment em")).to_have_text("and")
    await expect(page.get_by_role("heading", name="1 comment")).to_be_visible()
    await screenshot(page, "post-page.png")

    await page.goto("/")
    await expect(page.get_by_role("link", name="Hello from a real browser")).to_be_visible()
    await screenshot(page, "front-page.png")
    assert errors == []  # no CSP violation or script error on the way
