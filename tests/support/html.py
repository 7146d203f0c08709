"""Look at HTML the way a browser would: which elements and attributes are really there
(text that merely looks like a tag is not an element)."""

from __future__ import annotations

from html.parser import HTMLParser

ACTIVE_TAGS = frozenset(
    {"script", "iframe", "frame", "object", "embed", "svg", "math", "style", "base"}
)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag of `html` with its attributes."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.elements


def active_content(html: str) -> list[str]:
    """What in `html` could run code: script-like elements, event handlers, style, and
    links to `javascript:`, `data:` or `vbscript:`."""
    found = []
    for tag, attributes in elements(html):
        if tag in ACTIVE_TAGS:
            found.append(f"<{tag}>")
        for name, value in attributes.items():
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                found.append(f"<{tag} {name}=...>")
            target = (value or "").strip().lower().replace("\t", "").replace("\n", "")
            if name in ("href", "src", "action", "xlink:href") and target.startswith(
                ("javascript:", "data:", "vbscript:")
            ):
                found.append(f"<{tag} {name}={value!r}>")
    return found
