from __future__ import annotations

import json
from pathlib import Path

import pytest

from src.bench.throughput import main


@pytest.mark.slow
def test_the_benchmark_delivers_every_event_and_reports_against_both_bounds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real Redis, activity service and burst workers as child processes; a few events."""
    args = ["--events", "60", "--sleep-time", "0.01", "--max-jobs", "20", "--poll-delay", "0.05"]
    assert main([*args, "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "throughput.json").read_text())
    assert report["benchmark"] == "throughput"
    assert report["command"].startswith("wolfit bench throughput --events 60")
    assert (report["limit"], report["parameters"]["max_jobs"]) == (2000, 20)
    assert report["machine"]["python"]
    noop, delivery = report["figures"]
    assert (noop["name"], delivery["name"]) == ("noop", "post_activity")
    for figure in (noop, delivery):
        assert (figure["jobs"], figure["failed"]) == (60, 0)
        assert figure["per_second"] > 0
        assert figure["worker_cpu"] > 0
        assert figure["per_worker_cpu_second"] == round(60 / figure["worker_cpu"], 1)
        assert figure["redis_cpu"] is not None
    assert noop["stored"] is None
    assert delivery["activity_cpu"] > 0
    assert delivery["stored"] == 60  # every job's event reached the activity service
    assert noop["of_noop"] == 1.0
    table = capsys.readouterr().out
    assert "limit 2,000 events/s" in table
    assert "post_activity poll_delay=0.05" in table

    assert main(["--markdown", "--out", str(tmp_path)]) == 0
    readme_table = capsys.readouterr().out
    assert readme_table.startswith("| configuration | events/s | of the limit | of no-op |")
    assert "| 60/60 |" in readme_table


def test_bad_options_are_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv, message in (
        (["--events", "0"], "argument --events: '0' must be at least 1"),
        (["--sleep-time", "soon"], "argument --sleep-time: 'soon' is not a number"),
        (["--max-jobs", "1.5"], "argument --max-jobs: '1.5' is not a whole number"),
    ):
        with pytest.raises(SystemExit) as exited:
            main([*argv, "--out", str(tmp_path / "figures")])
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert err.startswith(f"wolfit bench throughput: {message}")
    assert not (tmp_path / "figures").exists()
