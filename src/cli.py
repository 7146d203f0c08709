"""`wolfit`: one console script whose subcommands are the suite's services and tools.

Each subcommand lives in the package that owns it and is imported only when it runs, so
`wolfit activity` never loads the web app's dependencies. Every target is a
`main(argv: list[str]) -> int | None` (or the function named after `module:`).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["COMMANDS", "main", "run_benchmarks"]

# The checkout this package was installed from (editable), or site-packages (a plain install).
CHECKOUT = Path(__file__).resolve().parents[1]

COMMANDS: dict[str, tuple[str, str]] = {
    "up": ("src.supervisor", "start redis, activity service, one worker and web; Ctrl-C stops all"),
    "web": ("src.web.__main__", "serve the Wolfit web app (WEB_PORT, default 8080)"),
    "activity": (
        "src.activity.__main__",
        "serve the activity service (ACTIVITY_PORT, default 8081)",
    ),
    "worker": (
        "src.jobs.__main__",
        "run one arq worker, woken by Redis (the jobs of `arq src.jobs.WorkerSettings`)",
    ),
    "migrate": ("src.web.commands.migrate", "create or upgrade the web database schema"),
    "create-admin": (
        "src.web.commands.create_admin",
        "create an admin user: wolfit create-admin NAME",
    ),
    "seed": ("src.web.commands.seed", "load the sample users and posts shipped in the repo"),
    "bench": (
        "src.cli:run_benchmarks",
        "the benchmarks of a checkout, `python -m bench NAME` (`wolfit bench` lists them)",
    ),
}


def run_benchmarks(argv: list[str], checkout: Path = CHECKOUT) -> int:
    """`wolfit bench ARGS...`: become `python -m bench ARGS...` in the checkout's root. The
    benchmarks live in the repository beside the package, so a plain install has none: one
    line says where they are, exit status 2."""
    if not (checkout / "bench" / "__main__.py").is_file():
        print(
            "wolfit bench: the benchmarks are not installed with the package; they live in the "
            "repository's bench/: in a checkout, run `make bench` or `python -m bench NAME`",
            file=sys.stderr,
        )
        return 2
    # exec, not a child: Ctrl-C and the exit status reach the benchmark and come back as is.
    os.chdir(checkout)
    os.execv(sys.executable, [sys.executable, "-m", "bench", *argv])  # noqa: S606 (ours)


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: wolfit COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<{width}}  {summary}" for name, (_, summary) in COMMANDS.items()]
    lines += [
        "",
        "`wolfit COMMAND --help` tells more. Settings come from the environment:",
        "docs/settings.md lists them.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the subcommand named in `argv` (default: `sys.argv[1:]`) and return its status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"wolfit: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, _, function = COMMANDS[name][0].partition(":")
    module = importlib.import_module(module_name)
    command: Callable[[list[str]], int | None] = getattr(module, function or "main")
    return command(rest) or 0


if __name__ == "__main__":
    raise SystemExit(main())
