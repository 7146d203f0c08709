from __future__ import annotations

import pytest

from src.cli import COMMANDS, main


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("up", "web", "activity", "worker", "migrate", "create-admin", "seed", "bench"):
        assert name in COMMANDS
        assert f"  {name} " in out


def test_an_unknown_command_is_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fly"]) == 2
    assert "unknown command 'fly'" in capsys.readouterr().err


def test_no_command_prints_usage_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: wolfit" in capsys.readouterr().out
