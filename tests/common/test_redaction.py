from __future__ import annotations

import pytest

from src.common.redaction import without_password


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("redis://:s3cret@redis:6379/0", "redis://:***@redis:6379/0"),
        ("redis://user:s3cret@redis:6379/0", "redis://user:***@redis:6379/0"),
        ("http://user:p@ss@cache/0", "http://user:***@cache/0"),
        ("redis://:hunter2@nohost:x/0", "redis://:***@nohost:x/0"),  # not even a valid URL
        ("http://cache/0?password=q-pass&db=1", "http://cache/0?password=***&db=1"),
        ("Redis at redis://:pw@h:1/0 is down", "Redis at redis://:***@h:1/0 is down"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("127.0.0.1:6379", "127.0.0.1:6379"),
    ],
)
def test_passwords_are_masked_and_nothing_else(text: str, shown: str) -> None:
    assert without_password(text) == shown
