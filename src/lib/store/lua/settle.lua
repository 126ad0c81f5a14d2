--[[
  Settles a commit's outbox once its effects are done: drops the `ob` segment and the pending mark,
  but only while the document is still at the version that wrote them (a newer commit owns its own).
  With KEYS[3], also releases the worker's lock held with ARGV[3].

  KEYS[1] worker document
  KEYS[2] pending index (zset)
  KEYS[3] lock (optional)
  ARGV[1] version of the outbox
  ARGV[2] worker id
  ARGV[3] lock value (with KEYS[3])

  Returns 1 when settled, 0 when the document moved on or holds no outbox.
]]
if KEYS[3] and redis.call('GET', KEYS[3]) == ARGV[3] then redis.call('DEL', KEYS[3]) end
local doc = redis.call('GET', KEYS[1])
if not doc then
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 0
end
local version = string.match(doc, '^v\31(%d+)\30')
local from = string.find(doc, '\30ob\31', 1, true)
if version ~= ARGV[1] or not from then
  -- A mark left by a commit that is already settled (or was replaced by one without an outbox).
  if not from then redis.call('ZREM', KEYS[2], ARGV[2]) end
  return 0
end
local to = string.find(doc, '\30', from + 1, true)
redis.call('SET', KEYS[1], string.sub(doc, 1, from - 1) .. (to and string.sub(doc, to) or ''))
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
