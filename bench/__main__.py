"""`python -m bench NAME [ARGS...]`, run from the checkout's root: one benchmark of the suite;
`python -m bench` lists them. `make bench` installs what they need and runs `latency`."""

from __future__ import annotations

from bench import main

if __name__ == "__main__":
    raise SystemExit(main())
