from __future__ import annotations

from tests.support.site_client import SiteClient


async def test_a_profile_lists_the_users_posts_and_renders_without_the_activity_service(
    site: SiteClient,
) -> None:
    """The web fixture's ACTIVITY_URL is a closed port: the page renders with a note."""
    await site.register("alice")
    await site.submit("Alice's first")
    page = await site.page("/u/ALICE")
    assert "<h1>alice" in page
    assert "Alice&#39;s first" in page
    assert "Recent activity is unavailable right now" in page


async def test_profile_pages_of_nobody_are_404(site: SiteClient) -> None:
    assert (await site.client.get("/u/nobody")).status == 404
    assert (await site.client.get("/u/" + "x" * 300)).status == 404
    assert (await site.client.get("/u/alice?page=x")).status == 400
