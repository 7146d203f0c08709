from __future__ import annotations

import pytest

from src.activity.bodies import BodyInvalid, decode_json


def test_strict_json_decodes() -> None:
    assert decode_json('{"a": [1, 2.5, null, "é"]}'.encode()) == {"a": [1, 2.5, None, "é"]}


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        (b"NaN", "NaN"),
        (b"-Infinity", "Infinity"),
        (b"[1e400]", "too large"),
        (b'{"a": 1, "a": 1}', "twice"),
        (b'{"x": {"k": 1, "k": 2}}', "twice"),
        (b"\xef\xbb\xbf{}", "not valid JSON"),
        (b"\xc3\x28", "not UTF-8"),
        (b"[" * 100_000, "nests too deeply"),
        (b"1" * 5000, "too long"),
    ],
)
def test_what_other_parsers_refuse_is_refused(raw: bytes, hint: str) -> None:
    with pytest.raises(BodyInvalid, match=hint):
        decode_json(raw)
