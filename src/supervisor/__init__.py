"""`wolfit up`: the whole suite on one machine, as supervised child processes.

Redis (embedded unless `REDIS_URL`), the activity service, one worker and the web app, each
started as the same `wolfit` command an operator could run alone. Modules:

- `command`: `main(argv)`, the command line; checks settings, ports and secrets first.
- `supervisor`: `Supervisor`, start order, health, restarts with backoff, stop order.
- `services`: `ServiceSpec` and the suite's three services with their health probes.
- `child`: `ChildProcess`, one process and its output; `broker`: the Redis.
- `policy`: `RestartPolicy`; `health`: probes; `output`: terminal prefixes and log files.
"""

from __future__ import annotations

from src.supervisor.command import main
from src.supervisor.supervisor import StartFailed, Supervisor

__all__ = ["StartFailed", "Supervisor", "main"]
