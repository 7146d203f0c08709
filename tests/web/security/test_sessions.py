from __future__ import annotations

from src.web.security.sessions import derive_key, session_storage


def test_keys_are_32_bytes_and_differ_by_purpose_and_secret() -> None:
    one = derive_key("a-secret-of-sixteen-plus", b"cookie")
    assert len(one) == 32
    assert one == derive_key("a-secret-of-sixteen-plus", b"cookie")
    assert one != derive_key("a-secret-of-sixteen-plus", b"other")
    assert one != derive_key("another-secret-sixteen+", b"cookie")


def test_the_cookie_is_httponly_and_samesite_lax() -> None:
    storage = session_storage("a-secret-of-sixteen-plus")
    assert storage.cookie_params["httponly"] is True
    assert storage.cookie_params["samesite"] == "Lax"
    assert storage.max_age is None  # a browser-session cookie unless "remember me"
