from __future__ import annotations

import pytest

from src.web.markdown import render_markdown
from tests.support.html import active_content


def test_markdown_is_rendered() -> None:
    html = render_markdown("# Title\n\n**bold** and `code`\n\n- one\n- two")
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "<code>code</code>" in html
    assert "<li>one</li>" in html


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert('x')</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">click</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](  javascript:alert(1))",
        "<svg onload=alert(1)>",
        '<iframe src="https://evil.example"></iframe>',
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<div style="background:url(javascript:alert(1))">x</div>',
    ],
)
def test_nothing_active_survives(body: str) -> None:
    assert active_content(render_markdown(body)) == []


def test_the_checker_sees_active_content() -> None:
    # The check above would pass vacuously if `active_content` found nothing anywhere.
    assert active_content('<img src=x onerror=alert(1)><a href="javascript:x">y</a><script>') == [
        "<img onerror=...>",
        "<a href='javascript:x'>",
        "<script>",
    ]


def test_no_images_other_sites_could_serve() -> None:
    assert "<img" not in render_markdown("![a](https://tracker.example/pixel.gif)")


def test_typed_html_shows_as_text() -> None:
    assert "&lt;script&gt;" in render_markdown("<script>alert(1)</script>")


def test_links_keep_http_and_get_a_safe_rel() -> None:
    html = render_markdown("[site](https://example.org/a?b=1)")
    assert 'href="https://example.org/a?b=1"' in html
    assert 'rel="nofollow noopener noreferrer"' in html


def test_tables_and_strikethrough() -> None:
    html = render_markdown("| a | b |\n| --- | --- |\n| 1 | 2 |\n\n~~gone~~")
    assert "<table>" in html
    assert "<td>1</td>" in html
    assert "<s>gone</s>" in html or "<del>gone</del>" in html
