"""MkDocs hook: the settings table of docs/settings.md, rendered from the `Settings` class.

The page holds the marker `<!-- settings-table -->`; at build time it becomes one row per
field of `src.common.settings.Settings`: the environment variable (`env_name`), the default,
the values accepted (from the field's type and limits) and the field's `description`. So the
table cannot drift from the code, and the build fails on a field without a description.
"""

from __future__ import annotations

import enum
import sys
import typing
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

MARKER = "<!-- settings-table -->"
PAGE = "settings.md"
_REPOSITORY = Path(__file__).resolve().parents[2]


def _settings() -> Any:
    """The `src.common.settings` module of this checkout (not of another installed copy)."""
    if str(_REPOSITORY) not in sys.path:
        sys.path.insert(0, str(_REPOSITORY))
    from src.common import settings

    return settings


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _default(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | float):
        return f"`{_number(value)}`"
    return f"`{value}`"


def _limits(metadata: list[Any]) -> str:
    """`1 to 64`, `over 0`, `0 to 1`: the bounds pydantic checks, in words."""
    low = high = None
    strict_low = False
    for item in metadata:
        if getattr(item, "ge", None) is not None:
            low = item.ge
        if getattr(item, "gt", None) is not None:
            low, strict_low = item.gt, True
        if getattr(item, "le", None) is not None:
            high = item.le
    if low is not None and high is not None and not strict_low:
        return f"{_number(low)} to {_number(high)}"
    parts = []
    if low is not None:
        parts.append(f"over {_number(low)}" if strict_low else f"at least {_number(low)}")
    if high is not None:
        parts.append(f"at most {_number(high)}")
    return ", ".join(parts)


def _values(name: str, annotation: Any, metadata: list[Any], secrets: frozenset[str]) -> str:
    """What a field accepts, from its type and its limits."""
    if name in secrets:
        return "secret, 16+ characters"
    if name.endswith("_url"):
        return "URL"
    args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    if typing.get_origin(annotation) is typing.Literal:
        return ", ".join(f"`{arg}`" for arg in typing.get_args(annotation))
    if args and len(args) == 1:  # X | None
        annotation = args[0]
    limits = _limits(metadata)
    kind = {
        bool: "`true` or `false`",
        int: "whole number",
        float: "number",
        str: "text",
        Path: "directory",
    }.get(annotation)
    if kind is None:
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            return ", ".join(f"`{member.value}`" for member in annotation)
        raise PluginError(f"settings table: no words for the type {annotation!r}")
    return f"{kind}, {limits}" if limits else kind


def settings_table() -> str:
    """The Markdown table of every setting; `PluginError` if a field has no description."""
    settings = _settings()
    fields = settings.Settings.model_fields
    undocumented = [name for name, field in fields.items() if not field.description]
    if undocumented:
        raise PluginError(
            "settings table: these Settings fields have no description= in "
            f"src/common/settings.py: {', '.join(undocumented)}"
        )
    rows = ["| variable | default | values | meaning |", "| --- | --- | --- | --- |"]
    for name, field in fields.items():
        cells = [
            f"`{settings.env_name(name)}`",
            _default(field.default),
            _values(name, field.annotation, field.metadata, settings._SECRET_FIELDS),
            " ".join(str(field.description).split()).replace("|", "\\|"),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """Put the table in place of the marker on the settings page."""
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise PluginError(f"settings table: {PAGE} lost its marker {MARKER}")
    return markdown.replace(MARKER, settings_table())
