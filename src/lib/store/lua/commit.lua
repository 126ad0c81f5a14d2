--[[
  Commits one worker transition atomically: the version compare-and-set, the changed fields of the
  record document, the lifecycle event, the indexes the change moves, the delayed timeout job of a
  suspension the change ends, the jobs the change implies (a respawn, a new timeout), and what ends
  the request: the worker's lock released and the idempotency outcome kept. Only effects a script
  cannot run (PostResume hooks) are left in the outbox, for the settle. Every key is in the worker's
  partition (one hash slot, the partition's BullMQ queues included).

  The document is `name \31 value` segments joined by \30; `v` and `s` come first.

  KEYS[1]  worker document (string)
  KEYS[2]  status index (zset: worker id -> ms it entered the status) the worker leaves (the same
           key as KEYS[3] when the status stays)
  KEYS[3]  status index the worker enters
  KEYS[4]  deadline index (zset: worker id -> deadline ms of the armed timeout)
  KEYS[5]  pending index (zset: worker id -> ms of a commit whose outbox is not settled yet)
  KEYS[6]  the worker's lock
  then, in this order, as ARGV says:
    the worker's inbox of early resumes (only with ARGV[23])
    the timeout queue's delayed zset, and the ended suspension's timeout job hash and its log list
      (BullMQ's keys; only with ARGV[12])
    trigger bindings (hash per topic: worker id -> epoch): ARGV[9] to drop, then ARGV[10] to add
    the idempotency record (only with ARGV[16])
    the reason index (zset: worker id -> suspended_at ms) the worker leaves (ARGV[21] = 1), then the
      one it enters (ARGV[22] = 1) followed by the partition's reasons set (set of reason texts: the
      metrics read which reason indexes exist from it, without a scan)
    7 keys per job to add (ARGV[18]): job hash, wait, delayed, active, meta, events, marker
    7 keys per early resume to make ready (ARGV[24]), in the same layout
    the BullMQ lock of the job making the change (only with ARGV[25]; the last key)

  ARGV[1]  expected version ("" = the worker must not exist yet)
  ARGV[2]  new version
  ARGV[3]  new status
  ARGV[4]  worker id (the member in every index)
  ARGV[5]  event line ("" = none), appended to the `ev` segment
  ARGV[6]  how many event lines the log keeps
  ARGV[7]  deadline: "" unchanged, "-" removed, else the new deadline ms
  ARGV[8]  pending mark: "" when the commit leaves no outbox, else now ms
  ARGV[9]  number of trigger bindings to drop
  ARGV[10] number of trigger bindings to add
  ARGV[11] epoch the added bindings point at
  ARGV[12] id of the ended suspension's timeout job ("" = none). Removed only while it is delayed: a
           job that is due or running is left to run, and finds its epoch stale
  ARGV[13] the fields to write, in the document's own format (`name \31 value` joined by \30; a name
           "+h" appends the value as one more element of the JSON array in `h`)
  ARGV[14] the names of the fields to delete, joined by \30
  ARGV[15] the lock's value: released when it still holds the lock ("" = keep the lock)
  ARGV[16] the idempotency outcome to keep (SET NX: the first one wins; "" = none)
  ARGV[17] how long it is kept (ms)
  ARGV[18] number of jobs to add
  ARGV[19] the jobs' timestamp (now ms)
  ARGV[20] the worker's score in the status index it enters (ms it entered the status; a suspended
           worker's suspended_at ms); "" = it keeps its entry
  ARGV[21] 1 when the worker leaves a reason index
  ARGV[22] 1 when the worker enters a reason index (score: ARGV[20])
  ARGV[23] "" = the inbox is not looked at; else the inbox's `last` as the decision read it ("-" =
           no inbox): a suspension takes early resumes only from the inbox it was decided on
  ARGV[24] number of early resumes the suspension takes (their delayed jobs made ready, their
           entries removed)
  ARGV[25] the lock token of the job making the change ("" = none): the commit goes through only
           while the job's lock (the last key) still holds it. A consumer whose job lock expired (cut
           off, paused) and whose job another consumer took over must not write for it any more
  ARGV[26..] 5 per job: job id, name, data (JSON), opts (JSON), delay ms; then the early resumes'
           job ids; then, with ARGV[22] = 1, the reason the worker enters (the last ARGV)

  Returns {1, new version} when committed; {0, current version or -1, current status or ""} when
  the stored version is not the expected one or the inbox changed since it was read; {-1, ...} when
  the job's lock is not the token (in both cases nothing is written, the worker's lock is kept).
]]
-- @include add-job
local SEG, SEP = '\30', '\31'
local id = ARGV[4]
local doc = redis.call('GET', KEYS[1])
local version, status = nil, ''
if doc then
  version, status = string.match(doc, '^v\31(%d+)\30s\31([^\30]*)')
end
if ARGV[25] ~= '' and redis.call('GET', KEYS[#KEYS]) ~= ARGV[25] then
  return {-1, tonumber(version) or -1, status or ''}
end
if (ARGV[1] == '' and doc) or (ARGV[1] ~= '' and version ~= ARGV[1]) then
  return {0, tonumber(version) or -1, status or ''}
end
local t = 6
if ARGV[23] ~= '' then
  t = 7
  if (redis.call('HGET', KEYS[7], 'last') or '-') ~= ARGV[23] then
    return {0, tonumber(version) or -1, status or ''}
  end
end

-- The changes: name -> new value, or false to delete. Unchanged segments are copied over in runs
-- (one substring per run, not per segment: Lua string building is most of a commit's cost).
local changes, order = {}, {}
local text, pos = ARGV[13], 1
while pos <= #text do
  local stop = string.find(text, SEG, pos, true) or (#text + 1)
  local sep = string.find(text, SEP, pos, true)
  local name = string.sub(text, pos, sep - 1)
  changes[name] = string.sub(text, sep + 1, stop - 1)
  order[#order + 1] = name
  pos = stop + 1
end
for name in string.gmatch(ARGV[14], '[^\30]+') do changes[name] = false end
local appended = changes['+h']
changes['+h'] = nil
local event = ARGV[5] ~= '' and ARGV[5] or nil

local function capped(log)
  local keep, lines = tonumber(ARGV[6]), 1
  for _ in string.gmatch(log, '\n') do lines = lines + 1 end
  local from = 1
  while lines > keep do
    from = string.find(log, '\n', from, true) + 1
    lines = lines - 1
  end
  return from == 1 and log or string.sub(log, from)
end

local out = {'v' .. SEP .. ARGV[2], 's' .. SEP .. ARGV[3]}
local done, outbox = {}, changes['ob'] or nil
if doc then
  local after = string.find(doc, SEG, 1, true)
  after = after and string.find(doc, SEG, after + 1, true)
  local run = after and after + 1 or (#doc + 1)
  pos = run
  while pos <= #doc do
    local stop = string.find(doc, SEG, pos, true) or (#doc + 1)
    local sep = string.find(doc, SEP, pos, true)
    local name = string.sub(doc, pos, sep - 1)
    local new = changes[name]
    if new ~= nil or name == 'ob' or (name == 'h' and appended) or (name == 'ev' and event) then
      if run < pos then out[#out + 1] = string.sub(doc, run, pos - 2) end
      if name == 'ob' then
        -- Kept last, where settle cuts it off.
        if new == nil then outbox = string.sub(doc, sep + 1, stop - 1) end
      elseif new == nil and name == 'h' then
        out[#out + 1] = 'h' .. SEP .. string.sub(doc, sep + 1, stop - 2) .. ',' .. appended .. ']'
      elseif new == nil and name == 'ev' then
        out[#out + 1] = 'ev' .. SEP .. capped(string.sub(doc, sep + 1, stop - 1) .. '\n' .. event)
      elseif new then
        out[#out + 1] = name .. SEP .. new
      end
      done[name] = true
      run = stop + 1
    end
    pos = stop + 1
  end
  if run <= #doc then out[#out + 1] = string.sub(doc, run) end
end
for _, name in ipairs(order) do
  if not done[name] and name ~= 'ob' and name ~= '+h' and changes[name] then out[#out + 1] = name .. SEP .. changes[name] end
end
if appended and not done['h'] then out[#out + 1] = 'h' .. SEP .. '[' .. appended .. ']' end
if event and not done['ev'] then out[#out + 1] = 'ev' .. SEP .. event end
if outbox then out[#out + 1] = 'ob' .. SEP .. outbox end
redis.call('SET', KEYS[1], table.concat(out, SEG))

if KEYS[2] ~= KEYS[3] and doc then redis.call('ZREM', KEYS[2], id) end
if ARGV[20] ~= '' then redis.call('ZADD', KEYS[3], ARGV[20], id) end
if ARGV[7] == '-' then
  redis.call('ZREM', KEYS[4], id)
elseif ARGV[7] ~= '' then
  redis.call('ZADD', KEYS[4], ARGV[7], id)
end
if ARGV[8] ~= '' then redis.call('ZADD', KEYS[5], ARGV[8], id) end
if ARGV[12] ~= '' then
  if redis.call('ZREM', KEYS[t + 1], ARGV[12]) == 1 then redis.call('DEL', KEYS[t + 2], KEYS[t + 3]) end
  t = t + 3
end
local drops, adds = tonumber(ARGV[9]), tonumber(ARGV[10])
for i = 1, drops do redis.call('HDEL', KEYS[t + i], id) end
for i = 1, adds do redis.call('HSET', KEYS[t + drops + i], id, ARGV[11]) end
t = t + drops + adds
if ARGV[16] ~= '' then
  t = t + 1
  redis.call('SET', KEYS[t], ARGV[16], 'PX', ARGV[17], 'NX')
end
if ARGV[21] == '1' then
  t = t + 1
  redis.call('ZREM', KEYS[t], id)
end
if ARGV[22] == '1' then
  redis.call('ZADD', KEYS[t + 1], ARGV[20], id)
  redis.call('SADD', KEYS[t + 2], ARGV[#ARGV])
  t = t + 2
end
local jobs, early = tonumber(ARGV[18]), tonumber(ARGV[24])
addJobs(t + 1, 26, jobs, ARGV[19])
t = t + 7 * jobs
for i = 1, early do
  local kk, jobId = t + (i - 1) * 7, ARGV[25 + 5 * jobs + i]
  promoteJob({ job = KEYS[kk + 1], wait = KEYS[kk + 2], delayed = KEYS[kk + 3], active = KEYS[kk + 4],
    meta = KEYS[kk + 5], events = KEYS[kk + 6], marker = KEYS[kk + 7] }, jobId)
  redis.call('HDEL', KEYS[7], jobId)
end
if early > 0 then redis.call('HSET', KEYS[7], 'last', 's:' .. ARGV[2]) end
if ARGV[15] ~= '' and redis.call('GET', KEYS[6]) == ARGV[15] then redis.call('DEL', KEYS[6]) end
return {1, tonumber(ARGV[2])}
