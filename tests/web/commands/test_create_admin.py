from __future__ import annotations

import asyncio
import io

import pytest

from src.web.commands.create_admin import main
from src.web.data.users import find_user
from src.web.database import Database
from src.web.security.passwords import verify_password


@pytest.fixture
def database_env(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    return sqlite_url


async def _admin(url: str, name: str) -> tuple[bool, str, str] | None:
    database = Database(url)
    try:
        user = await database.read(find_user, name)
        return None if user is None else (user.is_admin, user.email, user.password_hash)
    finally:
        await database.close()


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_an_admin_from_stdin(
    database_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, "s3cret-admin-pass\n")
    assert main(["root", "--password-stdin", "--email", "root@example.org"]) == 0
    assert "admin 'root' created" in capsys.readouterr().out
    stored = asyncio.run(_admin(database_env, "root"))
    assert stored is not None
    is_admin, email, password_hash = stored
    assert is_admin
    assert email == "root@example.org"
    assert asyncio.run(verify_password(password_hash, "s3cret-admin-pass"))


def test_the_prompt_asks_twice(database_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["typed-twice-ok", "typed-twice-ok"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert main(["boss"]) == 0
    stored = asyncio.run(_admin(database_env, "boss"))
    assert stored is not None
    assert stored[1] == "boss@localhost"


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["x"], "long-enough-pass\n", "bad username 'x'"),
        (["root", "--email", "nope"], "long-enough-pass\n", "bad --email 'nope'"),
        (["root"], "long-enough-pass\n", "use --password-stdin"),
        (["root", "--password-stdin"], "short\n", "bad password"),
        (["root", "--password-stdin"], "", "bad password"),
    ],
)
def test_bad_input_is_one_clear_line_and_creates_nothing(
    database_env: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    stdin: str,
    message: str,
) -> None:
    _stdin(monkeypatch, stdin)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert asyncio.run(_admin(database_env, "root")) is None


def test_different_passwords_at_the_prompt(
    database_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(["first-password", "second-password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert main(["root"]) == 1
    assert "differ" in capsys.readouterr().err
    assert asyncio.run(_admin(database_env, "root")) is None


def test_a_taken_name_is_refused(
    database_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, "long-enough-pass\n")
    assert main(["root", "--password-stdin"]) == 0
    _stdin(monkeypatch, "another-long-pass\n")
    assert main(["ROOT", "--password-stdin"]) == 1
    assert "is taken" in capsys.readouterr().err


def test_an_unmigrated_database_says_to_migrate(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/none.sqlite3")
    _stdin(monkeypatch, "long-enough-pass\n")
    assert main(["root", "--password-stdin"]) == 1
    assert "run `wolfit migrate` first" in capsys.readouterr().err
