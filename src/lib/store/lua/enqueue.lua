--[[
  Enqueues a request job for a worker that exists, in one step: the check and the add cannot be
  split by anything else. Used for resume requests (the job goes on the worker's partition's
  `resume` queue).

  KEYS[1]  worker document
  KEYS[2..8] the job's keys: job hash, wait, delayed, active, meta, events, marker

  ARGV[1]  the job's timestamp (now ms)
  ARGV[2..6] job id, name, data (JSON), opts (JSON), delay ms

  Returns 1 added, 0 when a job with that id exists already, -1 when the worker does not exist
  (nothing added).
]]
-- @include add-job
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return addJob({ job = KEYS[2], wait = KEYS[3], delayed = KEYS[4], active = KEYS[5], meta = KEYS[6],
  events = KEYS[7], marker = KEYS[8] }, ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[1], tonumber(ARGV[6]))
