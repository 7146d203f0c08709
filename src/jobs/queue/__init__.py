"""The queue's contract: what lives in Redis, under which keys, in which form.

The web app (the producer, and the dashboard that reads) and the worker both use it, so two
versions of either can share one Redis as long as this contract holds. It imports nothing of
`src.jobs.worker` or `src.jobs.operations`:

- `redis_keys`: every key name, arq's and ours; `serializer`: the JSON form of arq's jobs;
  `scripts`: the Lua scripts (one-round-trip enqueue, batch claim); `connections`: the two
  kinds of Redis client (the producer's that fails fast, the worker's that waits);
  `producer`: enqueueing an event; `errors`: the package's exceptions.
- What the worker writes and operators read, one module each, with its keys, record form,
  writers and readers: `dead_letters`, `delivery_story`, `heartbeats`, `delivery_counts`,
  `job_logs`, `activity_health`, `cron_runs`.
"""
