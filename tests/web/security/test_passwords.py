from __future__ import annotations

from src.web.security.passwords import hash_password, verify_password


async def test_a_hash_verifies_its_password_only() -> None:
    hashed = await hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert "correct horse" not in hashed
    assert await verify_password(hashed, "correct horse battery")
    assert not await verify_password(hashed, "correct horse batterY")


async def test_two_hashes_of_one_password_differ() -> None:
    assert await hash_password("same password") != await hash_password("same password")


async def test_no_user_or_a_broken_hash_never_verifies() -> None:
    assert not await verify_password(None, "anything at all")
    assert not await verify_password("not-a-hash", "anything at all")
