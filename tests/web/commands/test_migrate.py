from __future__ import annotations

from pathlib import Path

import pytest

from src.web.commands.migrate import main
from src.web.schema import head_revision


def test_migrate_creates_the_schema_then_reports_up_to_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'new' / 'web.sqlite3'}")
    assert main([]) == 0
    assert f"upgraded from empty to revision {head_revision()}" in capsys.readouterr().out
    assert (tmp_path / "new" / "web.sqlite3").exists()
    assert main([]) == 0
    assert "is up to date" in capsys.readouterr().out


def test_migrate_on_postgresql(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    assert main([]) == 0
    assert "is up to date" in capsys.readouterr().out


def test_an_unreachable_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://nobody:pw@127.0.0.1:1/none")
    assert main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "wolfit migrate: cannot migrate postgresql+asyncpg://nobody:***@127.0.0.1:1/none"
    )
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_bad_database_url_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://x/y")
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "DATABASE_URL" in capsys.readouterr().err
