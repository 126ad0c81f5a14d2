--[[
  Drops a reason from a partition's reasons set once no suspended worker has it (its reason index
  is gone). Atomic with the commit script, which adds to the index and the set together: a reason
  a suspension just entered is never dropped.

  KEYS[1] the partition's reasons set
  KEYS[2] the reason's index (zset)
  ARGV[1] the reason

  Returns 1 when dropped, 0 when the reason still has workers (or was not in the set).
]]
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.call('SREM', KEYS[1], ARGV[1]) end
return 0
