--[[
  An early resume (`resume(..., { early: { ttlMs } })`), in one step that nothing can split from the
  worker's status:
    - a running worker: the request is kept in its inbox until its next suspension, as a delayed job
      due when the entry expires (the suspend commit makes it ready at once; if it comes due first,
      the consumer ends it as `expired`);
    - any other status: the request is enqueued now, like any resume (the consumer decides).
  The inbox's `last` field names the latest change: a suspend commit read the inbox at that value
  and refuses to commit over a later one (commit.lua).

  KEYS[1]  worker document
  KEYS[2]  the worker's inbox (hash: job id -> entry JSON, `last` -> latest change)
  KEYS[3..9] the job's keys: job hash, wait, delayed, active, meta, events, marker

  ARGV[1]  now ms (the job's timestamp)
  ARGV[2]  job id
  ARGV[3]  job name
  ARGV[4]  job data (JSON) when kept; ARGV[5] its opts (JSON); ARGV[6] the ttl (ms, its delay)
  ARGV[7]  job data when enqueued now; ARGV[8] its opts
  ARGV[9]  the inbox entry (JSON)
  ARGV[10] how long the inbox outlives its latest entry (ms)

  Returns 2 kept in the inbox, 1 enqueued now, 0 a job with that id exists already, -1 the worker
  does not exist (nothing written).
]]
-- @include add-job
local doc = redis.call('GET', KEYS[1])
if not doc then return -1 end
local k = { job = KEYS[3], wait = KEYS[4], delayed = KEYS[5], active = KEYS[6], meta = KEYS[7],
  events = KEYS[8], marker = KEYS[9] }
if string.match(doc, '^v\31%d+\30s\31([^\30]*)') ~= 'running' then
  return addJob(k, ARGV[2], ARGV[3], ARGV[7], ARGV[8], ARGV[1], 0)
end
if addJob(k, ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[1], tonumber(ARGV[6])) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[9], 'last', ARGV[2])
local keep = tonumber(ARGV[6]) + tonumber(ARGV[10])
if redis.call('PTTL', KEYS[2]) < keep then redis.call('PEXPIRE', KEYS[2], keep) end
return 2
