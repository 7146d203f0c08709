from __future__ import annotations

from src.common.tokens import tokens_match


def test_the_same_token_matches_and_any_other_does_not() -> None:
    assert tokens_match("token-1", "token-1")
    assert tokens_match(b"token-1", "token-1")
    assert not tokens_match("token-1", "token-2")
    assert not tokens_match("token-1", "")
    assert not tokens_match("token-1", "token-1 ")


def test_any_header_bytes_are_compared_without_an_error() -> None:
    """aiohttp hands header bytes that are not UTF-8 over as surrogates: no match, no error."""
    assert not tokens_match("token-1", "\udcff\udcfe")  # the header b"\xff\xfe"
    assert not tokens_match("token-1", "caf\udce9")
    assert not tokens_match("token-1", "ä")
    assert tokens_match("caf\udce9", "caf\udce9")
