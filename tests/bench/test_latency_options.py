from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

from bench import latency, load
from bench.latency import main, parse_options
from bench.suite import LocalSuite, ServiceFailed


def test_the_defaults_are_the_headline_experiment() -> None:
    options, placement = parse_options([])
    assert options.modes == ["off", "sync", "async"]
    assert options.sleep_times == [0.0, 0.1, 0.5, 1.0, 2.0]
    assert (options.clients, options.duration, options.requests) == (10, 10.0, None)
    assert placement.name in ("pinned", "shared")


def test_sleep_times_take_commas_and_spaces_once_each() -> None:
    options, _ = parse_options(["--sleep-times", "0,0.5", "1", "0.5", "--requests", "5"])
    assert options.sleep_times == [0.0, 0.5, 1.0]
    assert (options.duration, options.requests) == (None, 5)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sleep-times", "abc"], "argument --sleep-times: 'abc' is not a number of seconds"),
        (["--sleep-times", "0,,1"], "argument --sleep-times: '0,,1' has an empty value"),
        (["--sleep-times", "-1"], "argument --sleep-times: '-1': seconds must be a number >= 0"),
        (["--sleep-times", "61"], "argument --sleep-times: the activity service sleeps at most"),
        (["--sleep-times", "nan"], "argument --sleep-times: 'nan': seconds must be a number >= 0"),
        (["--clients", "0"], "argument --clients: '0' must be at least 1"),
        (["--rate", "-3"], "argument --rate: '-3' must be a number from 0 up"),
        (["--modes", "fast"], "argument --modes: invalid choice: 'fast'"),
        (["--mix", "vote=x"], "argument --mix: 'vote=x': 'x' is not a number"),
        (["--duration", "5", "--requests", "9"], "not allowed with argument"),
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
    assert lines[0].startswith("python -m bench latency: ")
    assert message in lines[0]
    assert captured.out == ""
    assert not (tmp_path / "figures").exists()  # nothing ran, nothing written


def test_a_service_that_fails_to_start_is_one_line_and_status_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fail(self: LocalSuite) -> None:
        raise ServiceFailed("activity exited; see /tmp/x/activity.log")

    monkeypatch.setattr(LocalSuite, "start", fail)
    assert main(["--sleep-times", "0", "--out", str(tmp_path / "figures")]) == 1
    err = capsys.readouterr().err
    assert (
        err == "python -m bench latency: the run failed: activity exited; see /tmp/x/activity.log\n"
    )
    assert not (tmp_path / "figures").exists()


@pytest.mark.parametrize("benchmark", [latency, load])
def test_a_run_without_matplotlib_stops_before_it_starts(
    benchmark: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The package does not install matplotlib; the plot is drawn after minutes of running.
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # what find_spec reads as missing
    with pytest.raises(SystemExit) as exited:
        benchmark.parse_options([])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "matplotlib is not installed" in err
    assert "make bench" in err
    options, _ = benchmark.parse_options(["--markdown"])  # tables need no plot
    assert options.markdown
