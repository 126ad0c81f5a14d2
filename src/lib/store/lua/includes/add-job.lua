--[[
  addJob: adds one job to a BullMQ 6 queue in the layout BullMQ's own add writes and its workers
  read, so a commit can enqueue the jobs it implies in the same script (test/integration/
  job-layout.test.ts compares the two adds key by key on the pinned BullMQ version):
    - the job hash (name, data, opts, timestamp, delay, priority) and an `added` event;
    - no delay: the id pushed on the wait list, the "a job is ready" marker unless the queue is
      paused or at its global concurrency, a `waiting` event;
    - a delay: the id in the delayed set at (due ms × 4096 + a sequence within that ms), the marker
      moved to the earliest due time, a `delayed` event.
  A job id that exists already is left alone: the add is idempotent. promoteJob moves a delayed job
  to the wait list the same way (an early resume kept for a worker's next suspension).

  k: { job = hash, wait = list, delayed = zset, active = list, meta = hash, events = stream,
       marker = zset } (all keys of the job's queue)
  Returns 1 when added, 0 when the job existed.
]]
local function queueMeta(k)
  local meta = redis.call('HMGET', k.meta, 'paused', 'concurrency', 'opts.maxLenEvents')
  if not meta[3] then
    meta[3] = 10000
    redis.call('HSET', k.meta, 'opts.maxLenEvents', meta[3])
  end
  return meta
end

-- The id on the wait list, the "a job is ready" marker unless the queue is paused or at its global
-- concurrency, a `waiting` event.
local function pushReady(k, id, meta)
  redis.call('LPUSH', k.wait, id)
  local maxed = meta[1] ~= false
  if not maxed and meta[2] then maxed = redis.call('LLEN', k.active) >= tonumber(meta[2]) end
  if not maxed then redis.call('ZADD', k.marker, 0, '0') end
  redis.call('XADD', k.events, 'MAXLEN', '~', meta[3], '*', 'event', 'waiting', 'jobId', id)
end

local function addJob(k, id, name, data, opts, timestamp, delay)
  if redis.call('EXISTS', k.job) == 1 then return 0 end
  local meta = queueMeta(k)
  redis.call('HSET', k.job, 'name', name, 'data', data, 'opts', opts, 'timestamp', timestamp,
    'delay', delay, 'priority', 0)
  timestamp = tonumber(timestamp)
  redis.call('XADD', k.events, '*', 'event', 'added', 'jobId', id, 'name', name)
  if delay > 0 then
    local due = timestamp + delay
    local low = due * 4096
    local last = redis.call('ZREVRANGEBYSCORE', k.delayed, low + 4095, low, 'WITHSCORES', 'LIMIT', 0, 1)
    local score = last[2] and math.min(tonumber(last[2]) + 1, low + 4095) or low
    redis.call('ZADD', k.delayed, score, id)
    redis.call('XADD', k.events, 'MAXLEN', '~', meta[3], '*', 'event', 'delayed', 'jobId', id,
      'delay', due)
    local first = redis.call('ZRANGE', k.delayed, 0, 0, 'WITHSCORES')
    if first[2] then redis.call('ZADD', k.marker, tonumber(first[2]) / 4096, '1') end
  else
    pushReady(k, id, meta)
  end
  return 1
end

-- A delayed job made ready now (its delay cleared). Returns 1, or 0 when it is not delayed (it ran
-- already, or is running): nothing is changed then.
local function promoteJob(k, id)
  if redis.call('ZREM', k.delayed, id) == 0 then return 0 end
  redis.call('HSET', k.job, 'delay', 0)
  pushReady(k, id, queueMeta(k))
  return 1
end

-- The jobs of a script's call: `count` jobs whose 7 keys each start at KEYS[firstKey] and whose
-- 5 arguments each (id, name, data, opts, delay ms) start at ARGV[firstArg]; all share `timestamp`
-- (ms, as a string).
local function addJobs(firstKey, firstArg, count, timestamp)
  for i = 0, count - 1 do
    local kk, a = firstKey + i * 7, firstArg + i * 5
    addJob({ job = KEYS[kk], wait = KEYS[kk + 1], delayed = KEYS[kk + 2], active = KEYS[kk + 3],
      meta = KEYS[kk + 4], events = KEYS[kk + 5], marker = KEYS[kk + 6] },
      ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], timestamp, tonumber(ARGV[a + 4]))
  end
end
