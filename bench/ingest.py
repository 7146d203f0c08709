"""How fast one activity service ingests events; see `src/bench/ingest.py`.

.venv/bin/python bench/ingest.py            # the same as `wolfit bench ingest`
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from src.bench.ingest import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
