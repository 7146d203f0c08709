from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import placement
from bench.throughput import main


@pytest.mark.slow
def test_the_benchmark_delivers_every_event_and_reports_against_both_bounds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real Redis, activity service and workers of two kinds as child processes; few events."""
    args = ["--events", "60", "--sleep-time", "0.01", "--max-jobs", "20", "--poll-delay", "0.05"]
    args += ["--worker", "arq", "wolfit", "arq", "--latency-jobs", "20", "--idle-window", "0.5"]
    assert main([*args, "--enqueues", "50", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "throughput.json").read_text())
    assert report["benchmark"] == "throughput"
    assert report["command"].startswith("python -m bench throughput --events 60")
    assert report["machine"]["python"]
    assert (report["limit"], report["parameters"]["max_jobs"]) == (2000, 20)
    assert report["parameters"]["workers"] == ["arq", "wolfit"]  # each kind once
    figures = report["figures"]
    assert [(figure["worker"], figure["name"]) for figure in figures] == [
        ("arq", "noop"),
        ("arq", "post_activity"),
        ("wolfit", "noop"),
        ("wolfit", "post_activity"),
    ]
    for figure in figures:
        assert (figure["jobs"], figure["failed"]) == (60, 0)
        assert figure["per_second"] > 0
        assert figure["worker_cpu"] > 0
        assert figure["per_worker_cpu_second"] == round(60 / figure["worker_cpu"], 1)
        assert figure["round_trips_per_job"] > 1  # arq's start and finish, at least
        assert figure["redis_commands_per_job"] > 0
    for noop in figures[0::2]:
        assert (noop["of_noop"], noop["stored"], noop["start_p50_ms"]) == (1.0, None, None)
    for delivery in figures[1::2]:
        assert delivery["stored"] == 60  # every job's event reached the activity service
        assert delivery["activity_cpu"] > 0
        assert delivery["service_cpu_ms_per_job"] > 0
        assert 0 < delivery["start_p50_ms"] <= delivery["start_p99_ms"]
        assert delivery["idle_commands_per_second"] > 0
        assert delivery["trickle_cpu_ms_per_job"] > 0
    arq_enqueue, our_enqueue = report["producer"]
    assert (arq_enqueue["round_trips"], our_enqueue["round_trips"]) == (3, 1)
    assert len(report["runs"]) == 1
    table = capsys.readouterr().out
    assert "limit 2,000 events/s" in table
    assert "post_activity arq poll_delay=0.05" in table
    assert "post_activity wolfit (woken)" in table
    assert "enqueue_event (Lua)" in table

    assert main(["--markdown", "--out", str(tmp_path)]) == 0
    markdown_tables = capsys.readouterr().out
    assert markdown_tables.startswith("| configuration | events/s | of the limit | of no-op |")
    assert markdown_tables.count("| 60/60 |") == 2
    assert "| enqueue_event (Lua) | 1.00 |" in markdown_tables


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--events", "0"], "argument --events: '0' must be at least 1"),
        (["--sleep-time", "soon"], "argument --sleep-time: 'soon' is not a number"),
        (["--max-jobs", "1.5"], "argument --max-jobs: '1.5' is not a whole number"),
        (["--max-jobs", "20000"], "argument --max-jobs: WORKER_MAX_JOBS is at most 10000"),
        (["--worker", "celery"], "argument --worker: invalid choice: 'celery'"),
        (["--poll-delay", "0"], "argument --poll-delay: '0' must be a number from 0.001 up"),
        (["--latency-jobs", "-1"], "argument --latency-jobs: '-1' must be at least 0"),
        (["--idle-window", "0"], "argument --idle-window: '0' must be a number from 0.1 up"),
        (["--repeat", "0"], "argument --repeat: '0' must be at least 1"),
        (["--placement", "anywhere"], "argument --placement: invalid choice: 'anywhere'"),
    ],
)
def test_bad_options_are_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--out", str(tmp_path / "figures")])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"python -m bench throughput: {message}")
    assert not (tmp_path / "figures").exists()


def test_pinned_placement_on_one_cpu_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(placement, "available_cpus", lambda: [0])
    with pytest.raises(SystemExit) as exited:
        main(["--placement", "pinned", "--out", str(tmp_path / "figures")])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m bench throughput: argument --placement: --placement pinned")
    assert err.count("\n") == 1
    assert not (tmp_path / "figures").exists()


def test_an_out_directory_that_cannot_be_made_is_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(SystemExit) as exited:
        main(["--placement", "shared", "--out", str(blocker / "figures")])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"python -m bench throughput: argument --out: cannot write to {blocker}")
    assert err.count("\n") == 1


def test_markdown_without_a_report_is_one_line_and_status_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--markdown", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"python -m bench throughput: cannot read {tmp_path / 'throughput.json'}")
    assert err.count("\n") == 1

    (tmp_path / "throughput.json").write_text(json.dumps({"benchmark": "latency"}))
    assert main(["--markdown", "--out", str(tmp_path)]) == 1
    assert "not the JSON of `python -m bench throughput`" in capsys.readouterr().err
