from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from bench import BENCHMARKS, main
from tests.test_imports import import_circles, module_imports

ROOT = Path(__file__).resolve().parents[2]


def test_no_name_lists_every_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    for name in ("latency", "load", "throughput", "ingest", "dashboard"):
        assert f"  {name} " in out


def test_every_listed_benchmark_has_a_main() -> None:
    for module, summary in BENCHMARKS.values():
        assert callable(importlib.import_module(module).main)
        assert summary


def test_an_unknown_benchmark_is_one_line_and_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nope"]) == 2
    err = capsys.readouterr().err
    assert (
        err == "python -m bench: unknown benchmark 'nope'; "
        "one of: latency, load, throughput, ingest, dashboard, export-memory\n"
    )


def test_the_rest_of_the_arguments_go_to_the_benchmark(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["latency", "--clients", "none"])
    assert exited.value.code == 2
    assert "python -m bench latency: argument --clients" in capsys.readouterr().err


def test_python_m_bench_from_the_checkout_lists_them() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "bench"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("usage: python -m bench NAME [ARGS...]")


def test_the_benchmarks_import_one_way() -> None:
    # latency, latency_report and latency_plot once imported one another.
    assert import_circles(module_imports("bench")) == []
