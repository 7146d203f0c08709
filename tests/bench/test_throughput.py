from __future__ import annotations

import json
from pathlib import Path

import pytest

from src.bench.throughput import main


@pytest.mark.slow
def test_the_benchmark_delivers_every_event_and_reports_against_both_bounds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "throughput.json"
    args = ["--events", "60", "--sleep-time", "0.01", "--max-jobs", "20", "--poll-delay", "0.05"]
    assert main([*args, "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert (report["limit"], report["max_jobs"]) == (2000, 20)
    noop, delivery = report["figures"]
    assert (noop["name"], delivery["name"]) == ("noop", "post_activity")
    for figure in (noop, delivery):
        assert (figure["jobs"], figure["failed"]) == (60, 0)
        assert figure["per_second"] > 0
        assert figure["worker_cpu"] > 0
    table = capsys.readouterr().out
    assert "limit 2,000 events/s" in table
    assert "post_activity poll_delay=0.05" in table
