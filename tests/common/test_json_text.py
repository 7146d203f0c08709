from __future__ import annotations

import pytest

from src.common.json_text import JsonInvalid, decode_json


def test_strict_json_decodes() -> None:
    assert decode_json('{"a": [1, 2.5, null, "é"]}'.encode()) == {"a": [1, 2.5, None, "é"]}
    assert decode_json("[1]") == [1]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"NaN", "the body is not strict JSON: NaN is not a JSON value"),
        (b"-Infinity", "the body is not strict JSON: -Infinity is not a JSON value"),
        (b"[1e400]", "the body is not strict JSON: the number 1e400 is too large"),
        (b'{"a": 1, "a": 1}', "the body is not strict JSON: the key 'a' appears twice"),
        (b'{"x": {"k": 1, "k": 2}}', "the body is not strict JSON: the key 'k' appears"),
        (b"\xef\xbb\xbf{}", "the body is not valid JSON (Unexpected UTF-8 BOM"),
        (b"{", "the body is not valid JSON (Expecting property name enclosed in double quotes"),
        (b"\xc3\x28", "the body is not UTF-8 (byte 0)"),
        (b"[" * 100_000, "the body nests too deeply to be read"),
        (b"1" * 5000, "the body holds a number too long to be read"),
    ],
)
def test_what_other_parsers_refuse_is_a_sentence_about_it(raw: bytes, message: str) -> None:
    with pytest.raises(JsonInvalid) as refused:
        decode_json(raw)
    assert str(refused.value).startswith(message)


def test_the_sentence_names_what_was_sent() -> None:
    with pytest.raises(JsonInvalid, match=r"^the arguments nest too deeply to be read$"):
        decode_json("[" * 50_000, "the arguments", plural=True)
