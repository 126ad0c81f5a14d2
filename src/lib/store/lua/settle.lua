--[[
  Settles a commit's outbox once the effects only a process can run (PostResume hooks) are done:
  adds the jobs the outbox still names (an outbox written before commits enqueued their own jobs;
  idempotent), drops the `ob` segment and the pending mark, but only while the document is still at
  the version that wrote them (a newer commit owns its own), and releases the worker's lock when
  the given value holds it.

  KEYS[1]  worker document
  KEYS[2]  the worker's lock
  KEYS[3]  pending index (zset)
  KEYS[4..] 7 keys per job to add (ARGV[5]): job hash, wait, delayed, active, meta, events, marker

  ARGV[1]  the version of the outbox (-1: only drop a pending mark left without an outbox)
  ARGV[2]  worker id
  ARGV[3]  lock value to release ("" = none)
  ARGV[4]  the jobs' timestamp (now ms)
  ARGV[5]  number of jobs to add
  ARGV[6..] 5 per job: job id, name, data (JSON), opts (JSON), delay ms

  Returns 1 settled, 0 when the document moved on or holds no outbox.
]]
-- @include add-job
local doc_key, lock_key, pending, id = KEYS[1], KEYS[2], KEYS[3], ARGV[2]
addJobs(4, 6, tonumber(ARGV[5]), ARGV[4])
if ARGV[3] ~= '' and redis.call('GET', lock_key) == ARGV[3] then redis.call('DEL', lock_key) end
local doc = redis.call('GET', doc_key)
if not doc then
  redis.call('ZREM', pending, id)
  return 0
end
local stored = string.match(doc, '^v\31(%d+)\30')
local from = string.find(doc, '\30ob\31', 1, true)
if stored ~= ARGV[1] or not from then
  -- A mark left by a commit that is already settled (or was replaced by one without an outbox).
  if not from then redis.call('ZREM', pending, id) end
  return 0
end
local to = string.find(doc, '\30', from + 1, true)
redis.call('SET', doc_key, string.sub(doc, 1, from - 1) .. (to and string.sub(doc, to) or ''))
redis.call('ZREM', pending, id)
return 1
