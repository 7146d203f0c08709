from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bench.load import THIS, Subject, main, parse_options, subject_databases
from bench.machine import ROOT
from bench.suite import WOLFIT, LocalSuite, ServiceFailed
from src.common.settings import DEFAULT_WEB_PROCESSES

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NO_WRK = "wrk is not installed (apt-get install -y wrk; `make test` installs it as root)"


def _checkout(directory: Path) -> Path:
    """A directory that looks like a checkout with its own venv."""
    wolfit = directory / ".venv" / "bin" / "wolfit"
    wolfit.parent.mkdir(parents=True)
    wolfit.write_text("#!/bin/sh\n")
    wolfit.chmod(0o755)
    return directory


def test_the_defaults_are_issue_12s_grid_on_this_checkout() -> None:
    options, placement = parse_options([])
    assert options.actions == ["front", "post", "vote"]
    assert options.clients == [10, 50]
    assert options.modes == ["async", "off", "sync"]
    assert options.sleep_times == [0.0, 1.0]
    assert (options.rounds, options.duration, options.warmup) == (3, 10, 2)
    assert (options.web_processes, options.database_url) == (DEFAULT_WEB_PROCESSES, None)
    assert [(s.name, s.root, s.program) for s in options.subjects] == [(THIS, ROOT, WOLFIT)]
    assert placement.name == "shared"  # the webs may use every core


def test_lists_take_each_value_once() -> None:
    options, _ = parse_options(
        ["--clients", "10", "2", "10", "--sleep-times", "0,1", "1", "--modes", "off", "off"]
    )
    assert (options.clients, options.sleep_times, options.modes) == ([10, 2], [0.0, 1.0], ["off"])


def test_subjects_are_checkouts_run_by_their_own_venv_the_first_the_reference(
    tmp_path: Path,
) -> None:
    old, new = _checkout(tmp_path / "old"), _checkout(tmp_path / "new")
    options, _ = parse_options(["--subject", f"base={old}", "--subject", f"this={new}"])
    assert [(s.name, s.root) for s in options.subjects] == [("base", old), ("this", new)]
    assert options.subjects[0].program == (str(old / ".venv" / "bin" / "wolfit"),)
    options, _ = parse_options(
        ["--web-processes", "2", "--database-url", "postgresql+asyncpg://postgres@h:5432/db"]
    )
    assert (options.web_processes, options.database_url) == (
        2, "postgresql+asyncpg://postgres@h:5432/db"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--clients", "0"], "argument --clients: '0' must be at least 1"),
        (["--clients", "1001"], "argument --clients: at most 1000 (one wrk thread each)"),
        (["--duration", "1.5"], "argument --duration: '1.5' is not a whole number"),
        (["--warmup", "-1"], "argument --warmup: '-1' must be at least 0"),
        (["--rounds", "0"], "argument --rounds: '0' must be at least 1"),
        (["--sleep-times", "61"], "argument --sleep-times: the activity service sleeps at most"),
        (["--sleep-times", "x"], "argument --sleep-times: 'x' is not a number of seconds"),
        (["--modes", "fast"], "argument --modes: invalid choice: 'fast'"),
        (["--actions", "login"], "argument --actions: invalid choice: 'login'"),
        (["--web-processes", "0"], "argument --web-processes: '0' must be at least 1"),
        (["--subject", "base"], "argument --subject: 'base' is not NAME=DIR"),
        (["--subject", "Base=/tmp"], "argument --subject: 'Base': a name is a lowercase letter"),
        (["--subject", "anchor=/tmp"], "(not 'anchor')"),
        (["--subject", "a=/no/such/dir"], "argument --subject: '/no/such/dir' is not a directory"),
        (["--subject", "a=/tmp"], "argument --subject: /tmp has no .venv/bin/wolfit"),
        (
            ["--database-url", "sqlite+aiosqlite:///x.db"],
            "argument --database-url: 'sqlite+aiosqlite:///x.db' is not "
            "postgresql+asyncpg://USER@HOST:PORT/DB",
        ),
        (["--database-url", "postgresql+asyncpg://u@h"], "is not postgresql+asyncpg://"),
        (["--database-url", "postgresql://u:hunter2@h/db"], "'postgresql://u:***@h/db'"),
    ],
)
def test_a_bad_option_is_one_line_and_status_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--out", str(tmp_path / "figures")])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("python -m bench load: ")
    assert message in lines[0]
    assert "hunter2" not in captured.err
    assert captured.out == ""
    assert not (tmp_path / "figures").exists()


def test_a_subject_name_given_twice_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = _checkout(tmp_path / "one"), _checkout(tmp_path / "two")
    with pytest.raises(SystemExit) as exited:
        main(["--subject", f"a={one}", "--subject", f"a={two}"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "python -m bench load: argument --subject: a name given twice in a, a\n"
    )


def test_without_wrk_the_run_says_how_to_install_it_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["--out", str(tmp_path / "figures")]) == 2
    assert capsys.readouterr().err == (
        "python -m bench load: wrk is not installed; install it: apt-get install -y wrk\n"
    )
    assert not (tmp_path / "figures").exists()


def test_a_service_that_fails_to_start_is_one_line_and_status_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_wrk = tmp_path / "bin" / "wrk"  # found on PATH, never run: the suite fails first
    fake_wrk.parent.mkdir()
    fake_wrk.write_text("#!/bin/sh\nexit 1\n")
    fake_wrk.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_wrk.parent}{os.pathsep}{os.environ['PATH']}")

    async def fail(self: LocalSuite) -> None:
        raise ServiceFailed("activity exited; see /tmp/x/activity.log")

    monkeypatch.setattr(LocalSuite, "start", fail)
    assert main(["--out", str(tmp_path / "figures")]) == 1
    err = capsys.readouterr().err
    assert err == "python -m bench load: the run failed: activity exited; see /tmp/x/activity.log\n"
    assert not (tmp_path / "figures").exists()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason=NO_WRK)
def test_a_short_run_logs_in_drives_wrk_and_records_votes_without_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real suite and this checkout's web: 20 users and 200 posts through the forms,
    2 clients logged in through /login, 1 s of votes (each a 303 with the session's CSRF
    token, or wrk's script counts an error), and the anchor at 2 clients."""
    argv = [
        "--modes", "off", "--sleep-times", "0", "--actions", "vote", "--clients", "2",
        "--duration", "1", "--warmup", "0", "--rounds", "1", "--out", str(tmp_path),
    ]  # fmt: skip
    assert main(argv) == 0
    report = json.loads((tmp_path / "load.json").read_text())
    assert report["benchmark"] == "load"
    assert report["parameters"]["users"] == 20
    assert report["subjects"][0]["name"] == "this"
    anchor, votes = report["points"]
    assert (anchor["subject"], anchor["action"], anchor["clients"]) == ("anchor", "front", 2)
    assert (votes["subject"], votes["mode"], votes["action"]) == ("this", "off", "vote")
    for point in (anchor, votes):
        assert point["errors"] == {}
        assert point["requests"] > 0
    assert votes["statuses"] == {"303": votes["requests"]}
    assert votes["cpu_ms_per_request"]["web"] > 0
    assert votes["web_processes"] >= 1
    assert report["anchor_page_bytes"] > 1000  # the logged-in front page, 20 posts
    assert report["summary"][1]["of_anchor"] is not None
    assert (tmp_path / "load.png").read_bytes().startswith(PNG_MAGIC)
    out = capsys.readouterr().out
    assert "round 1 this off SLEEP_TIME=0, 2 clients, vote:" in out
    assert "errors: 0" in out


async def _databases(server: str) -> list[str]:
    dsn = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=3)
    try:
        return [row["datname"] for row in await connection.fetch("SELECT datname FROM pg_database")]
    finally:
        await connection.close()


@pytest.mark.postgres
async def test_on_postgres_each_subject_gets_a_fresh_database_dropped_at_the_end(
    tmp_path: Path,
) -> None:
    server = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1/test")
    try:
        before = set(await _databases(server))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        pytest.skip(f"PostgreSQL at {server} is unreachable: {exc}")
    subjects = [Subject("base", tmp_path, WOLFIT), Subject("this", tmp_path, WOLFIT)]
    async with subject_databases(subjects, tmp_path, server) as databases:
        assert set(databases) == {"base", "this"}
        names = {make_url(url).database for url in databases.values()}
        assert len(names) == 2
        assert all(url.startswith("postgresql+asyncpg://") for url in databases.values())
        assert names <= set(await _databases(server)) - before
    assert not names & set(await _databases(server))


async def test_on_sqlite_each_subject_gets_its_own_file(tmp_path: Path) -> None:
    subjects = [Subject("base", tmp_path, WOLFIT), Subject("this", tmp_path, WOLFIT)]
    async with subject_databases(subjects, tmp_path, None) as databases:
        assert databases == {
            "base": f"sqlite+aiosqlite:///{tmp_path / 'web-base.sqlite3'}",
            "this": f"sqlite+aiosqlite:///{tmp_path / 'web-this.sqlite3'}",
        }
