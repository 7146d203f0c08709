"""A page in Debian's headless Chromium (Playwright, never a downloaded browser) for the
browser tests, and their optional screenshots for the docs."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling out of this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# The marks of every browser test module.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@asynccontextmanager
async def chromium_page(base_url: str, *, width: int, height: int = 900) -> AsyncIterator[Any]:
    """A fresh browser and page whose relative URLs resolve against `base_url`."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(
                base_url=base_url, viewport={"width": width, "height": height}
            )
            yield await context.new_page()
        finally:
            await browser.close()


async def screenshot(page: Any, name: str) -> None:
    """Save the whole page to docs/screenshots/ when WOLFIT_SCREENSHOTS=1 (never in CI)."""
    if os.environ.get("WOLFIT_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
