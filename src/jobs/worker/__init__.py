"""The worker runtime: the process that delivers events (`wolfit worker`, or stock arq).

`settings` builds `WorkerSettings` (what `arq src.jobs.WorkerSettings` runs); `woken_worker`
is `WolfitWorker`, arq's `Worker` woken by Redis; `delivery` is the `post_activity` job and
`retry_delay` its backoff; `context` opens what jobs share; `finish_batch`, `job_log_capture`,
`arq_logging` and `outage` are its parts; `runner` runs one worker until a signal, and
`self_restart` is the stock `arq` command's answer to a Redis failure. It imports
`src.jobs.queue` only.
"""
