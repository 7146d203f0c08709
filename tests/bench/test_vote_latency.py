from __future__ import annotations

import json
from pathlib import Path

import pytest

from src.bench import main as bench_main
from src.bench.vote_latency import main, percentile


def test_percentiles_are_real_samples_by_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 0.50) == 50.0
    assert percentile(samples, 0.99) == 99.0
    assert percentile(samples, 1.0) == 100.0
    assert percentile([7.0], 0.99) == 7.0


def test_unknown_benchmarks_and_bad_options_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main(["nope"]) == 2
    assert "unknown benchmark 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--clients", "0"])


@pytest.mark.slow
def test_a_small_run_measures_every_mode_and_stores_every_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real suite as child processes: Redis, activity service, worker, web."""
    figures = tmp_path / "figures.json"
    args = ["--sleep-time", "0.05", "--clients", "2", "--votes", "3", "--json", str(figures)]
    assert main(args) == 0
    results = {r["mode"]: r for r in json.loads(figures.read_text())}
    assert set(results) == {"off", "sync", "async"}
    for result in results.values():
        assert result["votes"] == 6
        assert 0 < result["p50_ms"] <= result["p99_ms"]
    assert results["sync"]["p50_ms"] >= 50  # each sync vote waited for SLEEP_TIME
    assert results["off"]["events_stored"] is None
    assert results["sync"]["events_stored"] == results["async"]["events_stored"] == 8
    assert "async / off" in capsys.readouterr().out
