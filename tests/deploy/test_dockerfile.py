"""The Dockerfile, checked without a Docker engine: its shape, and its build stage replayed.

The build stage is replayed for real (slow test): exactly the files it COPYs, then exactly
its RUN line, the same `scripts/install` that `make run` and `make test` use.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from src.common.settings import Settings
from src.supervisor.services import suite_services

ROOT = Path(__file__).resolve().parents[2]
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|_KEY")

Instruction = tuple[str, str]


def instructions() -> list[Instruction]:
    """(KEYWORD, arguments) of each instruction, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            result.append((keyword.upper(), arguments.strip()))
    return result


def stages() -> list[list[Instruction]]:
    """The instructions of each stage, each starting with its FROM."""
    result: list[list[Instruction]] = []
    for instruction in instructions():
        if instruction[0] == "FROM":
            result.append([])
        result[-1].append(instruction)
    return result


def test_a_slim_build_stage_and_a_slim_final_stage() -> None:
    build, final = stages()
    assert build[0] == ("FROM", "python:3.11-slim AS build")
    assert final[0] == ("FROM", "python:3.11-slim")


def test_the_final_image_has_no_build_tools_and_only_the_virtualenv() -> None:
    final = stages()[-1]
    text = " ".join(arguments for _, arguments in final)
    for tool in ("apt-get", "apk", "gcc", "build-essential", "pip install"):
        assert tool not in text
    copies = [arguments for keyword, arguments in final if keyword == "COPY"]
    assert copies == ["--from=build /opt/venv /opt/venv"]


def test_the_services_run_as_an_unprivileged_user() -> None:
    final = stages()[-1]
    (user,) = [arguments for keyword, arguments in final if keyword == "USER"]
    assert user not in ("root", "0")
    useradd = next(arguments for keyword, arguments in final if "useradd" in arguments)
    assert re.search(rf"--uid [1-9]\d* .*{user}$", useradd)
    env = " ".join(arguments for keyword, arguments in final if keyword == "ENV")
    assert "HOST=0.0.0.0" in env  # reachable from the other containers


def test_the_install_is_the_one_script_make_uses() -> None:
    text = (ROOT / "Dockerfile").read_text()
    runs = [arguments for keyword, arguments in instructions() if keyword == "RUN"]
    installs = [run for run in runs if "scripts/install" in run]
    assert len(installs) == 1
    assert "EDITABLE=0" in installs[0]
    assert "bench" not in installs[0]
    assert "pip install" not in text
    makefile = (ROOT / "Makefile").read_text()
    make_run = r"^\$\(VENV\)/\.installed-run: .*\n\tVENV=\$\(VENV\) scripts/install\n"
    assert re.search(make_run, makefile, flags=re.MULTILINE)  # the package, no benchmark
    assert "scripts/install bench\n" in makefile  # make bench: the benchmarks' requirements
    assert "scripts/install test,bench,docs\n" in makefile  # make test: tests/bench, the docs
    assert re.search(r"^run: .*\n\tscripts/start$", makefile, flags=re.MULTILINE)
    start = (ROOT / "scripts" / "start").read_text()
    assert '"$bin/wolfit" migrate' in start
    assert 'exec "$bin/wolfit" up' in start


def test_compose_runs_the_commands_wolfit_up_runs() -> None:
    compose = (ROOT / "compose.yaml").read_text()
    for spec in suite_services(Settings()):
        command = spec.shown_command()
        if command == "wolfit worker":
            command = "arq src.jobs.WorkerSettings"  # the same program, as arq operators run it
        assert f"command: {shlex.split(command)!r}".replace("'", '"') in compose


def test_no_secret_is_baked_into_the_image() -> None:
    for keyword, arguments in instructions():
        if keyword in ("ARG", "ENV"):
            names = re.findall(r"(\w+)=", arguments) or [arguments.split()[0]]
            assert not any(SECRET_NAME.search(name) for name in names), arguments
        if keyword == "COPY":
            assert ".env" not in arguments
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", "var", ".git"} <= set(ignored)


def replay_copy(arguments: str, workdir: Path) -> None:
    """`COPY SOURCE... DEST/` as Docker does it: files into DEST, a directory's contents too."""
    *sources, destination = arguments.split()
    assert not destination.startswith("/"), "the build stage copies relative to its WORKDIR"
    target = workdir / destination
    target.mkdir(parents=True, exist_ok=True)
    for source in sources:
        origin = ROOT / source
        if origin.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")  # as .dockerignore says
            shutil.copytree(origin, target, dirs_exist_ok=True, ignore=ignore)
        else:
            shutil.copy2(origin, target / origin.name)


@pytest.mark.slow
def test_the_build_stage_replayed_installs_a_working_wolfit(tmp_path: Path, redis_url: str) -> None:
    """Copy what the build stage COPYs, run its RUN line, then use the result elsewhere."""
    build = stages()[0]
    context = tmp_path / "build"  # the stage's WORKDIR
    for keyword, arguments in build:
        if keyword == "COPY":
            replay_copy(arguments, context)
    # The install RUN line; the other one installs a compiler, which this machine has.
    (run,) = [args for keyword, args in build if keyword == "RUN" and "scripts/install" in args]
    command = re.sub(r"--mount=\S+\s*", "", run)
    venv = tmp_path / "venv"
    environ = {**os.environ, "VENV": str(venv)}
    words = shlex.split(command)
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        if name != "VENV":  # /opt/venv in the image, a tmp dir here
            environ[name] = value
    subprocess.run(words, cwd=context, env=environ, check=True, timeout=600)

    # Then as the containers use it: from another directory, the build context gone.
    shutil.rmtree(context)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{elsewhere / 'web.sqlite3'}",
        "REDIS_URL": redis_url,
        "ACTIVITY_TOKEN": "test-activity-token-0123456789",
        "WOLFIT_VAR_DIR": str(elsewhere / "var"),
    }

    def run_installed(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(venv / "bin" / command[0]), *command[1:]],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    located = run_installed("python", "-c", "import src; print(src.__file__)")
    assert located.stdout.startswith(str(venv))  # not from the build directory
    assert "usage: wolfit COMMAND" in run_installed("wolfit", "--help").stdout
    # The migrations and the sample data are package data: they must be in the install.
    migrated = run_installed("wolfit", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "upgraded from empty" in migrated.stdout
    seeded = run_installed("wolfit", "seed")
    assert seeded.returncode == 0, seeded.stderr
    templates = run_installed(
        "python",
        "-c",
        "import importlib.resources as r; t = r.files('src.web') / 'templates'; "
        "print(sorted(p.name for p in t.iterdir() if p.name.endswith('.html'))[:1])",
    )
    assert templates.returncode == 0, templates.stderr
    assert ".html" in templates.stdout
    # The worker's command runs from the install: no live worker, so the check says 1.
    check = run_installed("arq", "src.jobs.WorkerSettings", "--check")
    assert check.returncode == 1, check.stderr
