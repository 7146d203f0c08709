"""The two Lua scripts that do arq's multi-round-trip steps in one round trip each.

`ENQUEUE` is arq's `ArqRedis.enqueue_job` (WATCH, EXISTS, MULTI, PSETEX, ZADD, EXEC: three
round trips) as one atomic script writing exactly the keys arq writes, so stock arq workers
and tools read its jobs unchanged. It also leaves a wake token for the woken worker.

`CLAIM` is arq's claim check (`Worker.start_jobs`: WATCH, EXISTS, ZSCORE, MULTI, PSETEX, EXEC
per job, 3-4 round trips each) for a whole batch: read the due job ids, skip those whose
in-progress key exists, set the in-progress key of the rest with arq's TTL. Same keys, same
TTL, so stock arq workers beside it never start a job it claimed, and the other way round.

Both compute some key names inside the script (in-progress keys from a prefix), so they are
not Redis Cluster safe; arq itself is not either. Run them with `bound(redis, SOURCE)`:
redis-py's `register_script` (EVALSHA, loading the script again after a Redis restart).
"""

from __future__ import annotations

import weakref

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

__all__ = ["CLAIM", "ENQUEUE", "bound"]

# KEYS: 1 job key, 2 result key, 3 queue, 4 wake list
# ARGV: 1 job id, 2 serialized job, 3 job key expiry (ms), 4 score (ms), 5 wake token TTL (ms)
# Answers 1 if the job was written, 0 if a job or a result with this id exists (arq's rule).
ENQUEUE = """
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then
  return 0
end
redis.call('PSETEX', KEYS[1], ARGV[3], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
if redis.call('LLEN', KEYS[4]) == 0 then
  redis.call('RPUSH', KEYS[4], ARGV[4])
end
redis.call('PEXPIRE', KEYS[4], ARGV[5])
return 1
"""

# KEYS: 1 queue
# ARGV: 1 now (ms), 2 most jobs to claim, 3 how many due ids to read (arq's queue_read_limit),
#       4 in-progress TTL (ms), 5 in-progress key prefix
# Answers {more, next, size, id, score, id, score...}: `more` is 1 if a claimable job was
# left for lack of room, `next` the score of the earliest job not yet due (-1: none),
# `size` the queue's length (running jobs included, as arq counts it).
CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1],
                       'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
local wanted = 2 * tonumber(ARGV[2])
local answer = {0, -1, 0}
for i = 1, #due, 2 do
  local in_progress = ARGV[5] .. due[i]
  if redis.call('EXISTS', in_progress) == 0 then
    if #answer - 3 >= wanted then
      answer[1] = 1
      break
    end
    redis.call('PSETEX', in_progress, ARGV[4], '1')
    answer[#answer + 1] = due[i]
    answer[#answer + 1] = due[i + 1]
  end
end
local later = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf',
                         'WITHSCORES', 'LIMIT', 0, 1)
if later[2] then
  answer[2] = later[2]
end
answer[3] = redis.call('ZCARD', KEYS[1])
return answer
"""

_registered: weakref.WeakKeyDictionary[Redis, dict[str, AsyncScript]] = weakref.WeakKeyDictionary()


def bound(redis: Redis, source: str) -> AsyncScript:
    """`source` registered on `redis` (once per client): call it with `keys=` and `args=`."""
    scripts = _registered.setdefault(redis, {})
    script = scripts.get(source)
    if script is None:
        script = scripts[source] = redis.register_script(source)
    return script
