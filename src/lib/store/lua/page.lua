--[[
  One page of an index (sorted set) in (score, member) order, after a position: the members with
  score in [min, max] that come after (afterScore, afterId), at most `limit`, with their scores.
  Members of equal score are in byte order, as Redis keeps them, so the ones at afterScore up to
  afterId are skipped by counting them.

  KEYS[1]  the index (zset)
  ARGV[1]  min score
  ARGV[2]  max score
  ARGV[3]  score of the last member already returned ("" = from the start)
  ARGV[4]  that member
  ARGV[5]  limit

  Returns a flat list: member, score, member, score, ...
]]
local min = ARGV[1]
local offset = 0
if ARGV[3] ~= '' then
  min = ARGV[3]
  local ties = redis.call('ZRANGE', KEYS[1], ARGV[3], ARGV[3], 'BYSCORE')
  for i = 1, #ties do
    if ties[i] <= ARGV[4] then offset = offset + 1 else break end
  end
end
return redis.call('ZRANGE', KEYS[1], min, ARGV[2], 'BYSCORE', 'LIMIT', offset, tonumber(ARGV[5]), 'WITHSCORES')
