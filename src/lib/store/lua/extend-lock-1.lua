--[[
  Extends a worker's lock while its holder works, if it still holds it.

  KEYS[1] lock
  ARGV[1] lock value
  ARGV[2] lock time ms

  Returns 1 when extended, 0 when the lock expired or another holder has it.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
