from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.latency import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_a_tiny_run_measures_each_mode_and_finds_every_event_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real suite as child processes: Redis, activity service, worker, web per mode;
    users registered through the forms; a handful of actions per point."""
    argv = [
        "--sleep-times", "0.05", "--modes", "off", "async", "--clients", "2",
        "--requests", "6", "--warmup", "0.3", "--rate", "0",
        "--mix", "vote=3,post=1,login=1,comment=1", "--out", str(tmp_path),
    ]  # fmt: skip
    assert main(argv) == 0
    report = json.loads((tmp_path / "latency.json").read_text())
    off, queued = report["points"]
    assert (off["mode"], queued["mode"]) == ("off", "async")
    for point in (off, queued):
        assert point["sleep_time"] == 0.05
        assert point["actions"]["all"]["count"] == 6
        assert sum(s["count"] for a, s in point["actions"].items() if a != "all") == 6
        assert point["errors"] == {}
        assert point["cpu_ms_per_action"]["web"] > 0
        assert point["delivery"]["exactly_once"] is True
    # Off logs nothing; async stored one event per action, warm-up actions included.
    assert (off["delivery"]["expected"], off["delivery"]["stored"]) == (0, 0)
    expected = 6 + queued["warmup_actions"]
    assert (queued["delivery"]["expected"], queued["delivery"]["stored"]) == (expected, expected)
    assert report["ratios"][0]["sleep_time"] == 0.05
    assert (tmp_path / "latency.png").read_bytes().startswith(PNG_MAGIC)
    out = capsys.readouterr().out
    assert "async / off at SLEEP_TIME=0.05" in out
    assert f"{expected}/{expected} yes" in out
