--[[
  Takes or renews the reconciler's lease: only one consumer of a deployment reconciles at a time.

  KEYS[1] lease
  ARGV[1] owner (a random id per consumer)
  ARGV[2] lease time ms

  Returns 1 when this owner holds the lease now, 0 when another one does.
]]
local owner = redis.call('GET', KEYS[1])
if owner == false or owner == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
