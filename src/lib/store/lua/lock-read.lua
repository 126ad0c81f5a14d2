--[[
  Takes a worker's lock and reads its record in the same step: the single-server form of the Redlock
  algorithm (SET NX PX with a random value; released by compare-and-delete), kept in the worker's
  own partition so it costs no request of its own.

  KEYS[1] lock
  KEYS[2] worker document
  KEYS[3] idempotency record (optional)
  ARGV[1] lock value (random per acquisition)
  ARGV[2] lock time ms

  Returns {0} when another holder has the lock; else {1, document or false, idempotency or false,
  seconds, microseconds} with Redis's clock (TIME) at the read: a timeout is checked against it.
]]
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0} end
local doc = redis.call('GET', KEYS[2])
local idem = false
if KEYS[3] then idem = redis.call('GET', KEYS[3]) end
local now = redis.call('TIME')
return {1, doc, idem, now[1], now[2]}
