"""The provenance of a benchmark record: the commit it measured."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bench.machine import FIGURES_DIR, git_commit


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_rewritten_figures_do_not_make_the_commit_dirty(tmp_path: Path) -> None:
    figures = tmp_path / FIGURES_DIR / "latency.json"
    figures.parent.mkdir(parents=True)
    figures.write_text("{}\n")
    (tmp_path / "code.py").write_text("x = 1\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "c")
    head = _git(tmp_path, "rev-parse", "--short", "HEAD")
    assert git_commit(tmp_path) == head
    figures.write_text('{"new": "figures"}\n')
    (tmp_path / FIGURES_DIR / "ingest.json").write_text("{}\n")  # a new record, untracked
    assert git_commit(tmp_path) == head
    (tmp_path / "code.py").write_text("x = 2\n")
    assert git_commit(tmp_path) == f"{head}-dirty"


def test_outside_a_repository_there_is_no_commit(tmp_path: Path) -> None:
    assert git_commit(tmp_path) is None
