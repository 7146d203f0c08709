"""`wrk` as the load generator of `python -m bench load`: logged-in clients in a closed loop.

wrk (Debian's package, C) costs a fraction of the CPU a Python client would on a machine
whose two cores the site under test needs. It runs one thread per client (`-t N -c N`), so
each thread has its own connection and, through the Lua script below, its own session
cookie and CSRF token. The plan of a run (action, post ids, sessions, seed) is a Lua file
that every Lua state of wrk loads; `setup()` numbers the threads and each thread takes
session `index`. Each answer is checked (`response()`): a front or post page must be a 200
that shows the logout form, a vote a 303 that does not lead to the login page; anything
else is counted as a wrong answer by kind. `done()` prints one line, `MARKER` and JSON:
requests, socket errors, answers by status, wrong answers and the latency percentiles.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.placement import Place, placed_command

__all__ = [
    "ACTIONS",
    "MARKER",
    "WRK_SCRIPT",
    "Session",
    "WrkFailed",
    "WrkMissing",
    "WrkPlan",
    "WrkResult",
    "find_wrk",
    "lua_string",
    "parse_summary",
    "run_wrk",
]

ACTIONS = ("front", "post", "vote")
MARKER = "wolfit-load-summary "
REQUEST_TIMEOUT = 30  # seconds by default; a slower answer is a timeout error
INSTALL_HINT = "apt-get install -y wrk"

WRK_SCRIPT = r"""-- python -m bench load: one logged-in client per wrk thread (wrk -t N -c N).
local plan = dofile(os.getenv("WOLFIT_LOAD_PLAN"))
local threads = {}

function setup(thread)
   threads[#threads + 1] = thread
   thread:set("index", #threads)
end

function init(args)
   math.randomseed(plan.seed * 100003 + index)
   session = plan.sessions[(index - 1) % #plan.sessions + 1]
   get_headers = {Cookie = session.cookie}
   form_headers = {Cookie = session.cookie,
                   ["Content-Type"] = "application/x-www-form-urlencoded"}
   statuses = {}
   wrong = {}
end

function request()
   if plan.action == "front" then
      return wrk.format("GET", "/", get_headers)
   end
   local post = plan.posts[math.random(#plan.posts)]
   if plan.action == "post" then
      return wrk.format("GET", "/p/" .. post, get_headers)
   end
   local direction = math.random(2) == 1 and "up" or "down"
   return wrk.format("POST", "/p/" .. post .. "/vote", form_headers,
                     "direction=" .. direction .. "&csrf_token=" .. session.csrf)
end

local expected = plan.action == "vote" and 303 or 200

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   local problem
   if status ~= expected then
      problem = "status " .. key
   elseif status == 303 then
      local location = headers["Location"] or headers["location"] or ""
      if location:find("/login", 1, true) then
         problem = "redirected to /login (not logged in)"
      end
   elseif not (body and body:find("/logout", 1, true)) then
      problem = "page without /logout (not logged in)"
   end
   if problem then
      wrong[problem] = (wrong[problem] or 0) + 1
   end
end

local function encode(value)
   if type(value) == "table" then
      local parts = {}
      for k, v in pairs(value) do
         parts[#parts + 1] = encode(tostring(k)) .. ":" .. encode(v)
      end
      return "{" .. table.concat(parts, ",") .. "}"
   elseif type(value) == "string" then
      return '"' .. value:gsub('[%c"\\]', function(c)
         return string.format("\\u%04x", c:byte())
      end) .. '"'
   elseif value ~= value or value == math.huge or value == -math.huge then
      return "null"
   end
   return string.format("%.17g", value)
end

local function add(total, counts)
   for k, v in pairs(counts or {}) do
      total[k] = (total[k] or 0) + v
   end
end

function done(summary, latency, requests)
   local statuses, wrong = {}, {}
   for _, thread in ipairs(threads) do
      add(statuses, thread:get("statuses"))
      add(wrong, thread:get("wrong"))
   end
   io.write("@MARKER@", encode({
      duration_us = summary.duration, requests = summary.requests, bytes = summary.bytes,
      socket_errors = summary.errors, statuses = statuses, wrong = wrong,
      latency_us = {p50 = latency:percentile(50), p95 = latency:percentile(95),
                    p99 = latency:percentile(99), max = latency.max, mean = latency.mean},
   }), "\n")
end
""".replace("@MARKER@", MARKER)


class WrkMissing(RuntimeError):
    """wrk is not installed."""


class WrkFailed(RuntimeError):
    """wrk did not run to its summary; the message carries what it said."""


def find_wrk() -> str:
    """The path of `wrk`; WrkMissing saying how to install it."""
    path = shutil.which("wrk")
    if path is None:
        raise WrkMissing(f"wrk is not installed; install it: {INSTALL_HINT}")
    return path


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in client: its `Cookie` header and its session's CSRF token."""

    cookie: str
    csrf_token: str


def lua_string(text: str) -> str:
    """`text` as a Lua string literal (bytes other than printable ASCII as `\\ddd`)."""
    escaped = "".join(
        chr(byte) if 32 <= byte < 127 and chr(byte) not in '"\\' else f"\\{byte:03d}"
        for byte in text.encode()
    )
    return f'"{escaped}"'


@dataclass(frozen=True, slots=True)
class WrkPlan:
    """What the clients of one wrk run do: `action` on random `posts`, client i in
    session i (modulo the sessions given), random draws seeded by `seed`."""

    action: str
    posts: Sequence[int]
    sessions: Sequence[Session]
    seed: int = 1

    def lua(self) -> str:
        """The plan as the Lua file the script loads."""
        if self.action not in ACTIONS:
            raise ValueError(f"unknown action {self.action!r}")
        if not self.sessions or (self.action != "front" and not self.posts):
            raise ValueError("a plan needs sessions, and posts for post and vote")
        sessions = ",\n".join(
            f"  {{cookie = {lua_string(s.cookie)}, "
            f"csrf = {lua_string(quote(s.csrf_token, safe=''))}}}"
            for s in self.sessions
        )
        posts = ", ".join(str(int(post)) for post in self.posts)
        return (
            f"return {{\n action = {lua_string(self.action)},\n seed = {int(self.seed)},\n"
            f" posts = {{{posts}}},\n sessions = {{\n{sessions}\n }}\n}}\n"
        )


@dataclass(frozen=True, slots=True)
class WrkResult:
    """One wrk run: answers, errors by kind, latency percentiles, and wrk's own CPU."""

    seconds: float
    answers: int  # every HTTP answer received, right or wrong
    statuses: dict[str, int]
    errors: dict[str, int]  # socket errors ("socket read") and wrong answers, by kind
    latency_ms: dict[str, float]  # p50, p95, p99, max, mean
    bytes_read: int
    wrong: int  # answers that were not what the action expects
    cpu_seconds: float = 0.0

    @property
    def succeeded(self) -> int:
        """Answers that were what the action expects."""
        return self.answers - self.wrong

    @property
    def per_second(self) -> float:
        """Successful requests per second."""
        return self.succeeded / self.seconds if self.seconds > 0 else 0.0

    @property
    def error_count(self) -> int:
        """Socket errors plus wrong answers."""
        return sum(self.errors.values())


def parse_summary(output: str, cpu_seconds: float = 0.0) -> WrkResult:
    """The result in wrk's output (the `MARKER` line `done()` prints); WrkFailed without."""
    line = next((ln for ln in output.splitlines() if ln.startswith(MARKER)), None)
    if line is None:
        raise WrkFailed(f"wrk printed no summary: {output.strip()[-500:]!r}")
    try:
        raw: dict[str, Any] = json.loads(line[len(MARKER) :])
        sockets = {f"socket {kind}": int(n) for kind, n in raw["socket_errors"].items()}
        wrong = {str(kind): int(n) for kind, n in raw["wrong"].items()}
        latency = {name: round(float(us or 0) / 1000, 3) for name, us in raw["latency_us"].items()}
        return WrkResult(
            seconds=float(raw["duration_us"]) / 1e6,
            answers=int(raw["requests"]),
            statuses={str(code): int(n) for code, n in sorted(raw["statuses"].items())},
            # wrk's own "status" count (answers >= 400) is part of the wrong answers.
            errors={k: n for k, n in {**sockets, **wrong}.items() if n and k != "socket status"},
            latency_ms={q: latency[q] for q in ("p50", "p95", "p99", "max", "mean")},
            bytes_read=int(raw["bytes"]),
            wrong=sum(wrong.values()),
            cpu_seconds=round(cpu_seconds, 4),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise WrkFailed(f"wrk's summary is not readable ({exc}): {line[:300]!r}") from None


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def run_wrk(
    wrk: str,
    url: str,
    plan: WrkPlan,
    *,
    clients: int,
    seconds: int,
    workdir: Path,
    place: Place | None = None,
    request_timeout: int = REQUEST_TIMEOUT,
) -> WrkResult:
    """Run `clients` closed-loop clients against `url` for `seconds` (whole seconds: wrk's
    unit), one wrk thread each; an answer slower than `request_timeout` s is a timeout error.
    WrkFailed if wrk fails or prints no summary."""
    script = workdir / "load.lua"
    if not script.exists():
        script.write_text(WRK_SCRIPT)
    plan_file = workdir / "plan.lua"
    plan_file.write_text(plan.lua())
    command = [
        wrk, "-t", str(clients), "-c", str(clients), "-d", f"{seconds}s",
        "--timeout", f"{request_timeout}s", "-s", str(script), url,
    ]  # fmt: skip
    cpu_before = _children_cpu()
    process = await asyncio.create_subprocess_exec(
        *placed_command(command, place or Place()),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "WOLFIT_LOAD_PLAN": str(plan_file)},
    )
    try:
        output, _ = await process.communicate()
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    text = output.decode(errors="replace")
    if process.returncode != 0:
        raise WrkFailed(f"wrk exited with status {process.returncode}: {text.strip()[-500:]!r}")
    return parse_summary(text, _children_cpu() - cpu_before)
