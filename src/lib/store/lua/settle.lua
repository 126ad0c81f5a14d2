--[[
  Settles the outboxes of one or more commits of one partition once their effects are done. For each
  item: drops the `ob` segment and the pending mark, but only while the document is still at the
  version that wrote them (a newer commit owns its own), and releases the worker's lock when the
  item's lock value is the one it is held with. An item with job keys first checks that those jobs
  exist: sent right behind the adds of its outbox's jobs, it settles only what Redis has really done
  (an add that failed leaves that outbox as it was).

  KEYS[1]   pending index (zset)
  then, per item in order: the worker document, the worker's lock, and the item's job keys (the
            jobs its outbox's effects add; none for a plain settle)
  ARGV[1]   number of items
  then, per item: the version of the outbox (-1: only drop a pending mark left without an outbox),
            the worker id, the lock value to release ('' for none), the number of its job keys

  Returns one reply per item: 1 settled, 0 the document moved on or holds no outbox, -1 one of its
  jobs does not exist (nothing of that item was changed, its lock is still held).
]]
local pending = KEYS[1]

local function settle(doc_key, lock_key, first_job, jobs, version, id, lock_value)
  for i = first_job, first_job + jobs - 1 do
    if redis.call('EXISTS', KEYS[i]) == 0 then return -1 end
  end
  if lock_value ~= '' and redis.call('GET', lock_key) == lock_value then redis.call('DEL', lock_key) end
  local doc = redis.call('GET', doc_key)
  if not doc then
    redis.call('ZREM', pending, id)
    return 0
  end
  local stored = string.match(doc, '^v\31(%d+)\30')
  local from = string.find(doc, '\30ob\31', 1, true)
  if stored ~= version or not from then
    -- A mark left by a commit that is already settled (or was replaced by one without an outbox).
    if not from then redis.call('ZREM', pending, id) end
    return 0
  end
  local to = string.find(doc, '\30', from + 1, true)
  redis.call('SET', doc_key, string.sub(doc, 1, from - 1) .. (to and string.sub(doc, to) or ''))
  redis.call('ZREM', pending, id)
  return 1
end

local replies = {}
local k, a = 2, 2
for n = 1, tonumber(ARGV[1]) do
  local jobs = tonumber(ARGV[a + 3])
  replies[n] = settle(KEYS[k], KEYS[k + 1], k + 2, jobs, ARGV[a], ARGV[a + 1], ARGV[a + 2])
  k = k + 2 + jobs
  a = a + 4
end
return replies
