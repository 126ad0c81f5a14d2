--[[
  Drops a finished outbox, but only while the record is still at the version that wrote it.

  KEYS[1] worker hash
  ARGV[1] version of the outbox

  Returns 1 when cleared, 0 when the record moved on (the newer write owns the outbox field).
]]
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'ob')
return 1
