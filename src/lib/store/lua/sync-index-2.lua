--[[
  Moves a worker in the global status index and appends to the global event stream, only when
  this version is newer than what the index has seen: replays and out-of-order writers are no-ops.

  KEYS[1] hash worker id -> "version|status"
  KEYS[2] global event stream
  ARGV[1] worker id
  ARGV[2] version
  ARGV[3] status
  ARGV[4] status set key prefix (the set is ARGV[4] .. status; same hash tag as KEYS)
  ARGV[5] event type ("" = no event)
  ARGV[6] event JSON
  ARGV[7] event stream max length (approximate)

  Returns 1 when applied, 0 when stale.
]]
local seen = redis.call('HGET', KEYS[1], ARGV[1])
if seen then
  local sep = string.find(seen, '|', 1, true)
  local seenVersion = tonumber(string.sub(seen, 1, sep - 1))
  if seenVersion >= tonumber(ARGV[2]) then return 0 end
  redis.call('SREM', ARGV[4] .. string.sub(seen, sep + 1), ARGV[1])
end
redis.call('SADD', ARGV[4] .. ARGV[3], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
if ARGV[5] ~= '' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*', 'type', ARGV[5], 'worker', ARGV[1], 'version', ARGV[2], 'data', ARGV[6])
end
return 1
