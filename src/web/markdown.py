"""Post and comment bodies: Markdown rendered to HTML, then sanitized.

markdown-it-py renders CommonMark with raw HTML switched off (typed HTML shows as text), and
nh3 then keeps only an allow-list of tags and attributes and `http`, `https` and `mailto`
links, so no script, event handler or `javascript:` link can survive either step. Images are
not in the list: the Content-Security-Policy would block other sites' images anyway.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

__all__ = ["render_markdown"]

ALLOWED_TAGS = frozenset(
    {
        "a", "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable(["table", "strikethrough"])


@lru_cache(maxsize=512)
def _render(text: str) -> str:
    html = _markdown.render(text)
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(text: str) -> Markup:
    """Safe HTML for a user's Markdown, ready to put in a template as is."""
    return Markup(_render(text))  # noqa: S704 (sanitized by nh3 just above)
