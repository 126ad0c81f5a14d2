--[[
  Compare-and-set of one worker record, plus its lifecycle event, atomically.

  KEYS[1] worker hash   (fields: v = version, s = status, doc = record JSON, ob = outbox JSON)
  KEYS[2] worker event stream

  ARGV[1] expected version ("-" = the worker must not exist yet)
  ARGV[2] new version
  ARGV[3] new status
  ARGV[4] record JSON
  ARGV[5] outbox JSON ("" = no outbox)
  ARGV[6] event type
  ARGV[7] event JSON
  ARGV[8] event stream max length (approximate)

  Returns {1, new version} on success, {0, current version or -1 when missing} on conflict.
]]
local current = redis.call('HGET', KEYS[1], 'v')
if ARGV[1] == '-' then
  if current then return {0, tonumber(current)} end
elseif current ~= ARGV[1] then
  return {0, current and tonumber(current) or -1}
end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 's', ARGV[3], 'doc', ARGV[4])
if ARGV[5] == '' then
  redis.call('HDEL', KEYS[1], 'ob')
else
  redis.call('HSET', KEYS[1], 'ob', ARGV[5])
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[8], '*', 'type', ARGV[6], 'version', ARGV[2], 'data', ARGV[7])
return {1, tonumber(ARGV[2])}
