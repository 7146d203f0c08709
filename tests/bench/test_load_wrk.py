from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bench.load_wrk import (
    MARKER,
    Session,
    WrkFailed,
    WrkPlan,
    WrkResult,
    lua_string,
    parse_summary,
    run_wrk,
)

NO_WRK = "wrk is not installed (apt-get install -y wrk; `make test` installs it as root)"
needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason=NO_WRK)

ALICE = Session("s=alice; theme=dark", "tok+a/1=")  # characters a form must encode
BOB = Session("s=bob", "tok b&2")
TOKENS = {ALICE.cookie: ALICE.csrf_token, BOB.cookie: BOB.csrf_token}


def _summary(**changes: object) -> str:
    raw = {
        "duration_us": 2_000_000, "requests": 400, "bytes": 123456,
        "socket_errors": {"connect": 0, "read": 1, "write": 0, "status": 3, "timeout": 2},
        "statuses": {"303": 397, "500": 3}, "wrong": {"status 500": 3},
        "latency_us": {"p50": 4100, "p95": 9000, "p99": 12500, "max": 30000, "mean": 5000.5},
    }  # fmt: skip
    raw.update(changes)
    return f"Running 2s test @ http://x/\n{MARKER}{json.dumps(raw)}\n"


def test_lua_strings_escape_everything_but_printable_ascii() -> None:
    assert lua_string('a "b" \\ c') == '"a \\034b\\034 \\092 c"'
    assert lua_string("é\n") == '"\\195\\169\\010"'


def test_a_plan_is_lua_with_each_session_and_its_token_form_encoded() -> None:
    lua = WrkPlan("vote", [3, 5], [ALICE, BOB], seed=7).lua()
    assert lua.startswith("return {")
    assert 'action = "vote"' in lua
    assert "seed = 7" in lua
    assert "posts = {3, 5}" in lua
    assert '{cookie = "s=alice; theme=dark", csrf = "tok%2Ba%2F1%3D"}' in lua
    assert '{cookie = "s=bob", csrf = "tok%20b%262"}' in lua


@pytest.mark.parametrize(
    "plan",
    [WrkPlan("login", [1], [ALICE]), WrkPlan("vote", [], [ALICE]), WrkPlan("front", [1], [])],
)
def test_a_plan_without_what_its_action_needs_is_refused(plan: WrkPlan) -> None:
    with pytest.raises(ValueError, match=r"unknown action|needs sessions"):
        plan.lua()


def test_the_summary_counts_right_answers_and_every_error_by_kind() -> None:
    result = parse_summary(_summary(), cpu_seconds=0.25)
    assert (result.seconds, result.answers, result.succeeded) == (2.0, 400, 397)
    assert result.per_second == pytest.approx(198.5)
    # wrk's own count of answers >= 400 ("status") is already among the wrong answers.
    assert result.errors == {"socket read": 1, "socket timeout": 2, "status 500": 3}
    assert result.error_count == 6
    assert result.statuses == {"303": 397, "500": 3}
    assert result.latency_ms == {"p50": 4.1, "p95": 9.0, "p99": 12.5, "max": 30.0, "mean": 5.0}
    assert (result.bytes_read, result.cpu_seconds) == (123456, 0.25)


def test_output_without_a_readable_summary_is_wrk_failed() -> None:
    with pytest.raises(WrkFailed, match="wrk printed no summary: 'unable to connect'"):
        parse_summary("unable to connect\n")
    with pytest.raises(WrkFailed, match="not readable"):
        parse_summary(f"{MARKER}{{not json\n")
    with pytest.raises(WrkFailed, match="not readable"):
        parse_summary(_summary(latency_us=None))


def _site(seen: list[tuple[str, ...]]) -> web.Application:
    """A stand-in site that checks what wrk's clients send: GET pages show the logout form
    to known sessions; a vote needs a known session and its own CSRF token."""

    async def page(request: web.Request) -> web.Response:
        cookie = request.headers.get("Cookie", "")
        seen.append(("GET", request.path, cookie))
        if request.path == "/p/13":
            return web.Response(status=500, text="boom")
        body = '<form action="/logout">' if cookie in TOKENS else '<a href="/login">'
        return web.Response(text=body, content_type="text/html")

    async def vote(request: web.Request) -> web.Response:
        cookie = request.headers.get("Cookie", "")
        form = await request.post()
        if cookie not in TOKENS:
            raise web.HTTPSeeOther("/login?next=/p/1")
        if form.get("csrf_token") != TOKENS[cookie] or form.get("direction") not in ("up", "down"):
            return web.Response(status=400, text="bad form")
        seen.append(("POST", request.match_info["id"], cookie, str(form["direction"])))
        raise web.HTTPSeeOther(f"/p/{request.match_info['id']}")

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/p/{id}", page)
    app.router.add_post("/p/{id}/vote", vote)
    return app


async def _run(
    plan: WrkPlan, clients: int, tmp_path: Path
) -> tuple[WrkResult, list[tuple[str, ...]]]:
    seen: list[tuple[str, ...]] = []
    server = TestServer(_site(seen), host="127.0.0.1")
    await server.start_server()
    try:
        url = f"http://127.0.0.1:{server.port}/"
        result = await run_wrk("wrk", url, plan, clients=clients, seconds=1, workdir=tmp_path)
    finally:
        await server.close()
    return result, seen


@needs_wrk
async def test_each_client_votes_in_its_own_session_with_its_token_on_random_posts(
    tmp_path: Path,
) -> None:
    result, seen = await _run(WrkPlan("vote", [3, 5, 8], [ALICE, BOB]), 2, tmp_path)
    assert result.errors == {}
    # wrk stops at its deadline: an answer in flight then is served but not counted.
    assert 0 < result.succeeded <= len(seen) <= result.succeeded + 2
    assert result.statuses == {"303": result.succeeded}
    assert result.cpu_seconds >= 0
    assert {cookie for _, _, cookie, _ in seen} == {ALICE.cookie, BOB.cookie}
    assert {post for _, post, _, _ in seen} <= {"3", "5", "8"}
    assert {direction for *_, direction in seen} <= {"up", "down"}


@needs_wrk
async def test_pages_and_votes_outside_a_session_are_errors(tmp_path: Path) -> None:
    stranger = Session("s=mallory", "x")
    result, _ = await _run(WrkPlan("front", [], [ALICE, stranger]), 2, tmp_path)
    errors = result.errors
    assert set(errors) == {"page without /logout (not logged in)"}
    assert 0 < errors["page without /logout (not logged in)"] < result.answers
    result, _ = await _run(WrkPlan("vote", [1], [stranger]), 1, tmp_path)
    assert result.errors == {"redirected to /login (not logged in)": result.answers}
    assert result.succeeded == 0


@needs_wrk
async def test_an_error_status_is_counted_once(tmp_path: Path) -> None:
    result, _ = await _run(WrkPlan("post", [13], [ALICE]), 1, tmp_path)
    assert result.errors == {"status 500": result.answers}
    assert result.error_count == result.answers > 0
