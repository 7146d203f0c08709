from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from src.cli import COMMANDS, main, run_benchmarks


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


def test_bench_runs_the_checkouts_benchmarks_from_anywhere(tmp_path: Path) -> None:
    # `wolfit bench` becomes `python -m bench` in the checkout's root, whatever the cwd.
    wolfit = Path(sys.executable).parent / "wolfit"
    listed = subprocess.run(
        [wolfit, "bench"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("usage: python -m bench NAME")
    assert "  latency " in listed.stdout
    unknown = subprocess.run(
        [wolfit, "bench", "nope"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("python -m bench: unknown benchmark 'nope'")


def test_bench_without_the_repository_says_where_the_benchmarks_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # What an installed package sees: no bench/ beside it.
    assert run_benchmarks(["latency"], checkout=tmp_path) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "repository's bench/" in captured.err
    assert "python -m bench NAME" in captured.err
