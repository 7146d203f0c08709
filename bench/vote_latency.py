#!/usr/bin/env python
"""p50/p99 of a vote with ACTIVITY_MODE off, sync and async against a slow activity service.

    .venv/bin/python bench/vote_latency.py --sleep-time 1 --clients 10 --votes 20

The code lives in `src/bench/vote_latency.py` (also `wolfit bench vote-latency`).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from src.bench.vote_latency import main

if __name__ == "__main__":
    raise SystemExit(main())
