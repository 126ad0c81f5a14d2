--[[
  Ends an early resume that came due before any suspension took it: its entry leaves the inbox and
  `last` changes, so a suspend commit that read the entry (and meant to take it) reads again.

  KEYS[1]  the worker's inbox
  ARGV[1]  job id of the early resume

  Returns 1 when the entry was still there (the request expired), 0 when a suspension took it.
]]
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'last', 'x:' .. ARGV[1])
return 1
