"""A web app and a worker of the previous release and of this one, on one Redis: every event
either web enqueues is delivered by either worker, exactly once.

The previous release is `PREVIOUS`, the last commit before the code was split into the
`src.jobs` packages of today. Its tree is taken from this repository's history (`git
archive`) and run by this venv's Python with that tree first on the path: the dependencies
did not change between the two, the code did. During a rolling upgrade, this is what runs.
"""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest

from src.common.embedded_redis import free_port
from src.common.settings import Settings
from tests.jobs.conftest import ActivityService
from tests.jobs.helpers import REPO, settings_env, wait_for

pytestmark = pytest.mark.slow

PREVIOUS = "068b33552825a104de7b11874b72c55b269c72be"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "compatible password 1"


@pytest.fixture(scope="module")
def previous_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The previous release's files, from git history (skipped without it: a shallow clone)."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", PREVIOUS, "src"],
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        pytest.skip(f"commit {PREVIOUS[:10]} is not in this clone's history (shallow clone?)")
    tree = tmp_path_factory.mktemp("previous")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(tree, filter="data")
    return tree


class Service:
    """`python -m src.cli ARGS` of one tree (its `src` first on the path), in the background."""

    def __init__(self, tree: Path, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._file = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "src.cli", *args],
            cwd=tree,
            env={**env, "PYTHONPATH": str(tree)},
            stdout=self._file,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._file.close()


@contextmanager
def service(tree: Path, args: list[str], env: dict[str, str], log: Path) -> Iterator[Service]:
    running = Service(tree, args, env, log)
    try:
        yield running
    finally:
        running.stop()


def imported_from(tree: Path) -> Path:
    """Where `src` comes from when a service of `tree` starts."""
    answer = subprocess.run(
        [sys.executable, "-c", "import src; print(src.__file__)"],
        cwd=tree,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(answer.stdout.strip()).parent.parent


def migrate(tree: Path, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "src.cli", "migrate"],
        cwd=tree,
        env={**env, "PYTHONPATH": str(tree)},
        capture_output=True,
        check=True,
    )


class Visitor:
    """A user of one web app, driven through its forms."""

    def __init__(self, base: str, name: str) -> None:
        self.base, self.name = base, name
        self.session = aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.request_ids: list[str] = []

    async def token(self, path: str) -> str:
        async with self.session.get(path) as response:
            match = CSRF.search(await response.text())
        assert match, path
        return match.group(1)

    async def post(self, path: str, fields: dict[str, str], form: str = "/submit") -> str:
        request_id = f"{self.name}-{len(self.request_ids)}"
        data = {**fields, "csrf_token": await self.token(form)}
        async with self.session.post(
            path, data=data, headers={"X-Request-ID": request_id}, allow_redirects=False
        ) as response:
            assert response.status == 303, (path, response.status, await response.text())
            location = response.headers["Location"]
        self.request_ids.append(request_id)
        return location

    async def act(self, votes: int) -> None:
        """Register, post, then vote on the post `votes` times: one event each."""
        password = {"password": PASSWORD, "password2": PASSWORD}
        await self.post(
            "/register",
            {"username": self.name, "email": f"{self.name}@example.org", **password},
            form="/register",
        )
        location = await self.post(
            "/submit", {"title": "Hello", "body": "text", "category": "general"}
        )
        post_id = location.rstrip("/").rsplit("/", 1)[1]
        for n in range(votes):
            await self.post(f"/p/{post_id}/vote", {"direction": "up" if n % 2 else "down"})

    async def close(self) -> None:
        await self.session.close()


async def healthy(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as session, session.get(f"{url}/healthz") as answer:
            return answer.status == 200
    except aiohttp.ClientError:
        return False


async def all_stored_once(activity: ActivityService, request_ids: list[str]) -> bool:
    stored = [item.get("request_id") for item in await activity.stored()]
    return sorted(stored) == sorted(request_ids)


async def test_webs_and_workers_of_two_releases_share_one_queue(
    activity: ActivityService, previous_tree: Path, tmp_path: Path
) -> None:
    assert imported_from(previous_tree) == previous_tree
    assert imported_from(REPO) == REPO
    settings: Settings = activity.settings
    trees = {"previous": previous_tree, "this": REPO}
    webs: dict[str, str] = {}
    envs: dict[str, dict[str, str]] = {}
    for name, tree in trees.items():
        port = free_port()
        envs[name] = settings_env(
            settings,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / f'web-{name}.sqlite3'}",
            WEB_PORT=str(port),
            WEB_PROCESSES="1",
            ACTIVITY_MODE="async",
        )
        migrate(tree, envs[name])
        webs[name] = f"http://127.0.0.1:{port}"
    expected: list[str] = []

    async def drive(web: str, name: str, votes: int) -> None:
        visitor = Visitor(webs[web], name)
        try:
            await visitor.act(votes)
        finally:
            await visitor.close()
        expected.extend(visitor.request_ids)

    with (
        service(REPO, ["web"], envs["this"], tmp_path / "web-this.log"),
        service(previous_tree, ["web"], envs["previous"], tmp_path / "web-previous.log"),
    ):
        for web in webs.values():
            await wait_for(lambda web=web: healthy(web), timeout=30, what=f"the web app {web}")
        # 1. This release's web app, the previous release's worker.
        with service(previous_tree, ["worker"], envs["previous"], tmp_path / "worker-p.log"):
            await drive("this", "newweb", votes=10)
            await wait_for(
                lambda: all_stored_once(activity, expected),
                timeout=60,
                what="the previous worker to deliver the new web's events",
            )
        # 2. The previous release's web app, this release's worker.
        with service(REPO, ["worker"], envs["this"], tmp_path / "worker-t.log"):
            await drive("previous", "oldweb", votes=10)
            await wait_for(
                lambda: all_stored_once(activity, expected),
                timeout=60,
                what="this worker to deliver the previous web's events",
            )
            # 3. Both webs and both workers at once.
            with service(previous_tree, ["worker"], envs["previous"], tmp_path / "worker-b.log"):
                await asyncio.gather(
                    drive("this", "newweb2", votes=15), drive("previous", "oldweb2", votes=15)
                )
                await wait_for(
                    lambda: all_stored_once(activity, expected),
                    timeout=60,
                    what="every event of both webs, delivered once",
                )
    assert len(expected) == 2 * (2 + 10) + 2 * (2 + 15)
