from __future__ import annotations

import pytest

from src.web.security.redirects import safe_next


@pytest.mark.parametrize("target", ["/", "/p/3", "/c/python?page=2", "/u/alice#activity"])
def test_paths_on_this_site_are_kept(target: str) -> None:
    assert safe_next(target, "/") == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\tevil",
        "/ok\r\nSet-Cookie: x=1",
        "/" + "a" * 3000,
        "http:/evil.example",
    ],
)
def test_anything_else_goes_to_the_default(target: str | None) -> None:
    assert safe_next(target, "/home") == "/home"
