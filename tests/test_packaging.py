"""What `pip install .` installs: the package `src` and its data, and neither the benchmarks
(they live in bench/, beside the package) nor matplotlib, which only they need."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What packaging can see of a checkout: the metadata, the package, and bench/ beside it.
CHECKOUT_PARTS = ("pyproject.toml", "setup.cfg", "README.md", "src", "bench")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    """The wheel `pip install .` would install, built from a copy of the checkout (so the
    build leaves nothing in the working tree)."""
    checkout = tmp_path_factory.mktemp("checkout")
    for part in CHECKOUT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, checkout / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, checkout / part)
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--wheel-dir", str(out), str(checkout)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    (path,) = out.glob("wolfit_async-*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def _metadata(wheel: zipfile.ZipFile) -> Message:
    (name,) = [name for name in wheel.namelist() if name.endswith(".dist-info/METADATA")]
    return message_from_bytes(wheel.read(name))


def test_the_wheel_holds_the_package_and_no_benchmark(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    assert "src/cli.py" in names
    top_level = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    assert top_level == {"src"}
    assert [name for name in names if name.startswith(("bench/", "src/bench/"))] == []
    (listed,) = [name for name in names if name.endswith(".dist-info/top_level.txt")]
    assert wheel.read(listed).decode().split() == ["src"]


def test_the_wheel_requires_matplotlib_only_under_an_extra(wheel: zipfile.ZipFile) -> None:
    requires = _metadata(wheel).get_all("Requires-Dist") or []
    assert any(line.startswith("aiohttp") for line in requires)
    plotting = [line for line in requires if line.lower().startswith("matplotlib")]
    assert all("extra ==" in line for line in plotting), plotting
