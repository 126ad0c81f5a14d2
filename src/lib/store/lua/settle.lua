--[[
  Settles a commit's outbox once its effects are done: drops the `ob` segment and the pending mark,
  but only while the document is still at the version that wrote them (a newer commit owns its own).
  Releases the worker's lock when ARGV[3] is the value it is held with. With job keys from KEYS[4]
  on, it first checks that those jobs exist: sent in one pipeline after the adds of the outbox's
  jobs, it settles only what Redis has really done (an add that failed leaves the outbox as it was).

  KEYS[1] worker document
  KEYS[2] pending index (zset)
  KEYS[3] lock
  KEYS[4..] optional: the job keys the outbox's effects add
  ARGV[1] version of the outbox (-1: only drop a pending mark left without an outbox)
  ARGV[2] worker id
  ARGV[3] lock value to release ('' for none)

  Returns 1 when settled, 0 when the document moved on or holds no outbox, -1 when one of the jobs
  of KEYS[4..] does not exist (nothing was changed, the lock is still held).
]]
for i = 4, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then return -1 end
end
if ARGV[3] ~= '' and redis.call('GET', KEYS[3]) == ARGV[3] then redis.call('DEL', KEYS[3]) end
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
