--[[
  Releases a worker's lock, if this holder still holds it.

  KEYS[1] lock
  ARGV[1] lock value

  Returns 1 when released, 0 when it had expired or another holder has it.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
