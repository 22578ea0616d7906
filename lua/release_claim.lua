--[[
  release_claim: a coupon Postgres has marked given back (released by its owner, or expired on a campaign
  that returns expired units) gets its unit back in stock here, exactly once however often it is sent,
  and its user's entry is removed so the user may claim again within the limit. With buckets, the unit
  goes back to the bucket that sold it and the entry is removed at the user's home bucket: two calls.

  KEYS[1] meta      hash of the bucket (remaining, claimed, status, run)
  KEYS[2] users     hash of the bucket: userId -> claim entries (includes/claim_ids.lua)
  KEYS[3] returned  set of claim ids whose unit went back to stock in this bucket

  ARGV[1] claimId   ARGV[2] userId
  ARGV[3] '1' to give the unit back to this bucket's stock, '0' not (another bucket sold it)
  ARGV[4] '1' to remove the user's entry here (the user's home bucket), '0' not
  ARGV[5] run id of the server this connection is attached to (includes/fence.lua)

  Returns
    { 1, returned, removed }   done: returned 1 when the unit went back now (0: it already had, or not
                               asked), removed 1 when the entry was removed now
    { -1 }   the bucket is not loaded       { -7 } it is being rebuilt, or waits for the fence
]]
-- @include claim_ids
-- @include fence

local meta = redis.call('HMGET', KEYS[1], 'totalStock', 'status', 'run')
if not meta[1] then return { -1 } end
if meta[2] == 'rebuilding' or fenced(meta[3], ARGV[5]) then return { -7 } end

local returned = 0
if ARGV[3] == '1' and redis.call('SADD', KEYS[3], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'remaining', 1)
  redis.call('HINCRBY', KEYS[1], 'claimed', -1)
  returned = 1
end

local removed = 0
if ARGV[4] == '1' then
  local ids = redis.call('HGET', KEYS[2], ARGV[2])
  local left = ids
  for _, entry in ipairs(claim_ids_list(ids)) do
    if entry == ARGV[1] or string.sub(entry, 1, #ARGV[1] + 1) == ARGV[1] .. '@' then
      left = claim_ids_replace(ids, entry, nil)
      removed = 1
    end
  end
  if removed == 1 then
    if left then redis.call('HSET', KEYS[2], ARGV[2], left) else redis.call('HDEL', KEYS[2], ARGV[2]) end
  end
end
return { 1, returned, removed }
