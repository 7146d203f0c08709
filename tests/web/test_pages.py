"""Cross-cutting answers of the site: headers on every page, the static files, no 500s."""

from __future__ import annotations

import io
import re
from urllib.parse import urlencode

from src.web.security.headers import CONTENT_SECURITY_POLICY
from tests.support.site_client import SiteClient


async def test_every_answer_has_the_security_headers(site: SiteClient) -> None:
    for path in ("/", "/login", "/nowhere", "/healthz"):
        response = await site.client.get(path)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Request-ID"]


async def test_the_policy_allows_only_our_own_files(site: SiteClient) -> None:
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY
    page = await site.page("/login")
    assert "<script" not in page
    assert " style=" not in page
    # Every stylesheet, icon and image comes from this site.
    for url in re.findall(r'(?:href|src)="([^"]+)"', page):
        assert url.startswith(("/", "#")), url


async def test_the_stylesheet_is_served_with_a_version(site: SiteClient) -> None:
    page = await site.page("/")
    match = re.search(r'href="(/static/style\.css\?v=[^"]+)"', page)
    assert match
    response = await site.client.get(match.group(1))
    assert response.status == 200
    assert response.content_type == "text/css"
    assert "--accent" in await response.text()


async def test_the_request_id_is_shown_on_error_pages(site: SiteClient) -> None:
    response = await site.client.get("/p/404", headers={"X-Request-ID": "trace-me-123"})
    assert response.status == 404
    assert "trace-me-123" in await response.text()


async def test_a_too_large_form_is_a_413_page(site: SiteClient) -> None:
    await site.register("alice")
    form = urlencode(
        {"csrf_token": await site.csrf(), "title": "t", "category": "c", "body": "x" * 2_000_000}
    )
    response = await site.client.post(
        "/submit",
        data=io.BytesIO(form.encode()),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 413
    assert "too large" in await response.text()
