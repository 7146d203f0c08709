"""How many events one worker delivers per second; see `src/bench/throughput.py`.

.venv/bin/python bench/throughput.py          # the same as `wolfit bench throughput`
.venv/bin/python bench/throughput.py --poll-delay 0.5 0.05 0.005 --out /tmp/figures
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from src.bench.throughput import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
