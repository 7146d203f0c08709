from __future__ import annotations

import pytest

from src.web.forms import (
    FormInvalid,
    parse_comment,
    parse_direction,
    parse_login,
    parse_post,
    parse_register,
    valid_category,
    valid_username,
)

GOOD = {
    "username": "alice",
    "email": "a@example.org",
    "password": "long enough",
    "password2": "long enough",
}


def test_a_good_registration() -> None:
    form = parse_register({**GOOD, "username": "  alice "})
    assert (form.username, form.email, form.password) == ("alice", "a@example.org", "long enough")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"username": "al"}, "username"),
        ({"username": "a" * 33}, "username"),
        ({"username": "al ice"}, "username"),
        ({"username": "<b>x</b>"}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"password": "short", "password2": "short"}, "password"),
        ({"password2": "something else"}, "password2"),
    ],
)
def test_bad_registrations_name_the_field(change: dict[str, str], field: str) -> None:
    with pytest.raises(FormInvalid) as caught:
        parse_register({**GOOD, **change})
    assert field in caught.value.errors
    assert "password" not in caught.value.values  # passwords are never echoed back


def test_login_needs_both_fields_and_reads_the_checkbox() -> None:
    with pytest.raises(FormInvalid) as caught:
        parse_login({})
    assert set(caught.value.errors) == {"username", "password"}
    assert parse_login({"username": "a", "password": "b", "remember_me": "on"}).remember_me
    assert not parse_login({"username": "a", "password": "b"}).remember_me


def test_posts_are_cleaned() -> None:
    form = parse_post({"title": "  Hello \n world ", "body": "x\r\ny\x00", "category": " Python "})
    assert (form.title, form.body, form.category) == ("Hello world", "x\ny", "python")


def test_control_characters_leave_titles_and_bodies_but_tabs_and_newlines_stay() -> None:
    form = parse_post(
        {
            "title": "A\x00B\x01C\tD\x1b[0m\x7f",
            "body": "a\tb\r\nc\rd\x00\x08\x0b\x0c\x1f",
            "category": "x",
        }
    )
    assert (form.title, form.body) == ("ABC D[0m", "a\tb\nc\nd")
    assert parse_comment({"body": "hi\x00\x07 there\n\tyou"}).body == "hi there\n\tyou"


@pytest.mark.parametrize(
    "name", ["ali\x00ce", "al\nice", "al ice", "ali\x07ce", "a" * 33, "<b>x</b>"]
)
def test_logins_as_names_nobody_can_have_are_refused(name: str) -> None:
    with pytest.raises(FormInvalid) as caught:
        parse_login({"username": name, "password": "whatever"})
    assert "username" in caught.value.errors
    assert caught.value.values["username"] == ""  # not echoed back


@pytest.mark.parametrize(
    "email", ["a\x00b@example.org", "a@exa\x01mple.org", "a@exam\nple.org", "a@example.o\x7fg"]
)
def test_emails_with_control_characters_are_refused(email: str) -> None:
    with pytest.raises(FormInvalid) as caught:
        parse_register({**GOOD, "email": email})
    assert "email" in caught.value.errors


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("alice", True),
        ("al-ice_2", True),
        ("alice\n", False),
        ("a\x00", False),
        ("", False),
        ("x" * 33, False),
        ("%FF", False),
    ],
)
def test_valid_usernames(name: str, valid: bool) -> None:
    assert valid_username(name) is valid


@pytest.mark.parametrize(
    ("name", "valid"), [("python", True), ("python\n", False), ("py\x00", False), ("Py", False)]
)
def test_valid_categories(name: str, valid: bool) -> None:
    assert valid_category(name) is valid


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "", "category": "x"}, "title"),
        ({"title": "t" * 201, "category": "x"}, "title"),
        ({"title": "t", "category": ""}, "category"),
        ({"title": "t", "category": "no spaces"}, "category"),
        ({"title": "t", "category": "c" * 33}, "category"),
        ({"title": "t", "category": "x", "body": "b" * 40_001}, "body"),
    ],
)
def test_bad_posts_name_the_field(data: dict[str, str], field: str) -> None:
    with pytest.raises(FormInvalid) as caught:
        parse_post(data)
    assert field in caught.value.errors


def test_comments_need_text() -> None:
    with pytest.raises(FormInvalid):
        parse_comment({"body": "   "})
    assert parse_comment({"body": " hi "}).body == "hi"


@pytest.mark.parametrize(
    ("value", "expected"), [("up", "up"), ("DOWN", "down"), ("sideways", None), ("", None)]
)
def test_directions(value: str, expected: str | None) -> None:
    assert parse_direction({"direction": value}) == expected
