"""`wolfit web` refuses to start with one clear line when it cannot work."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from src.common.embedded_redis import free_port
from src.web.__main__ import main
from src.web.commands.migrate import main as migrate


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WOLFIT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}")
    monkeypatch.setenv("WEB_PORT", str(free_port()))
    monkeypatch.setenv("SECRET_KEY", "s" * 32)


def test_without_a_token_it_says_how_to_get_one(
    environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "ACTIVITY_TOKEN is not set" in err
    assert len(err.strip().splitlines()) == 1


def test_without_redis_only_off_mode_starts(
    environment: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ACTIVITY_TOKEN", "t" * 32)
    assert main([]) == 2
    assert "wolfit web: REDIS_URL is not set: ACTIVITY_MODE=async" in capsys.readouterr().err


def test_an_unmigrated_database_says_to_migrate(
    environment: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ACTIVITY_TOKEN", "t" * 32)
    monkeypatch.setenv("ACTIVITY_MODE", "off")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "wolfit web: the web database has no schema: run `wolfit migrate` first" in err
    assert "Traceback" not in err


def test_a_bad_mode_names_the_variable(
    environment: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ACTIVITY_MODE", "sometimes")
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "ACTIVITY_MODE" in capsys.readouterr().err


def test_a_port_in_use_is_one_line_naming_web_port(
    environment: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ACTIVITY_TOKEN", "t" * 32)
    monkeypatch.setenv("ACTIVITY_MODE", "off")
    assert migrate([]) == 0
    capsys.readouterr()
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        monkeypatch.setenv("WEB_PORT", str(port))
        with pytest.raises(SystemExit) as exited:
            main([])
    assert exited.value.code == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        f"wolfit web: cannot listen on 127.0.0.1:{port} (WEB_PORT): address already in use"
    ]
