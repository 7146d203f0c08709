"""A stand-in child for the supervisor's own tests: a tiny HTTP service with `/healthz`.

The real services are tested through `wolfit up` in `test_command.py`; this one exists to
make the failures a supervisor must handle happen on demand: dying at start, dying later,
ignoring SIGTERM, writing huge lines, leaving a grandchild behind.

    python fake_service.py PORT [--exit-at-start CODE] [--unhealthy-file PATH]
                               [--ignore-sigterm] [--grandchild PIDFILE] [--long-line N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from aiohttp import web


def log(message: str, **fields: object) -> None:
    print(json.dumps({"level": "INFO", "message": message, "pid": os.getpid(), **fields}))
    sys.stdout.flush()


async def serve(args: argparse.Namespace) -> None:
    async def healthz(request: web.Request) -> web.Response:
        if args.unhealthy_file and Path(args.unhealthy_file).exists():
            return web.json_response({"status": "down"}, status=503)
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port).start()
    log("listening", port=args.port)
    stop = asyncio.Event()
    if not args.ignore_sigterm:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    log("stopping on SIGTERM")
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--exit-at-start", type=int)
    parser.add_argument("--unhealthy-file")
    parser.add_argument("--ignore-sigterm", action="store_true")
    parser.add_argument("--grandchild")
    parser.add_argument("--long-line", type=int, default=0)
    args = parser.parse_args()
    if args.ignore_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    log("starting", argv=sys.argv[1:], redis_url=os.environ.get("REDIS_URL"))
    if args.long_line:
        print("x" * args.long_line, flush=True)
    if args.exit_at_start is not None:
        print("Traceback (most recent call last):\nRuntimeError: cannot open the store")
        raise SystemExit(args.exit_at_start)
    if args.grandchild:
        # Ignores SIGTERM like a stuck helper would; only the group's SIGKILL ends it.
        code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
        child = subprocess.Popen([sys.executable, "-c", code])
        Path(args.grandchild).write_text(str(child.pid))
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
