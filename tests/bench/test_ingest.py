from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.ingest import main


@pytest.mark.slow
def test_a_small_run_stores_every_event(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figures = tmp_path / "ingest.json"
    argv = ["--events", "60", "--clients", "4", "--warmup", "10", "--json", str(figures)]
    assert main(argv) == 0
    result = json.loads(figures.read_text())
    assert result["benchmark"] == "ingest"
    assert result["command"] == "python -m bench ingest " + " ".join(argv)
    assert result["statuses"] == {"201": 60}
    assert result["latency_ms"]["p50"] <= result["latency_ms"]["p99"]
    assert "events/s" in capsys.readouterr().out
