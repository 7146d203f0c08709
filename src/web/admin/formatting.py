"""Jinja filters of the dashboard: numbers, durations, times and JSON as operators read them.

`install_filters(app)` adds them to the app's Jinja environment (after `setup_templates`).
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp_jinja2
from aiohttp import web

__all__ = ["clock", "compact_json", "count", "duration", "install_filters", "pretty_json"]


def count(value: int | None) -> str:
    """12345 as "12,345"; None (not known) as "–"."""
    return "–" if value is None else f"{value:,}"


def duration(seconds: float | None) -> str:
    """A span as people read it: "340 ms", "4.2 s", "3 min 5 s", "2 h 10 min"."""
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"


def clock(moment: str | None) -> str:
    """An ISO time of the ops service ("2025-01-02T03:04:05.678+00:00") as
    "2025-01-02 03:04:05" (UTC, as every time on the dashboard)."""
    if not moment:
        return "–"
    return moment[:19].replace("T", " ")


def compact_json(value: Any, length: int = 120) -> str:
    """`value` as one line of JSON, cut to `length` characters, for tables."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return text if len(text) <= length else text[: length - 1] + "…"


def pretty_json(value: Any) -> str:
    """`value` as indented JSON, for a `<pre>`."""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def install_filters(app: web.Application) -> None:
    """Add the dashboard's filters to the app's Jinja environment."""
    filters = aiohttp_jinja2.get_env(app).filters
    filters.update(
        count=count,
        duration=duration,
        clock=clock,
        compact_json=compact_json,
        pretty_json=pretty_json,
    )
