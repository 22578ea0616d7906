--[[
  confirm_hold: the claim a hold stood for was sold in another bucket; the user's entry at home becomes
  that claim (`<id>@<bucket>`), and its Idempotency-Key now replays it. Idempotent.

  KEYS[1] users  hash of the home bucket: userId -> claim entries (includes/claim_ids.lua)
  KEYS[2] holds  hash of the home bucket: claimId -> hold
  KEYS[3] idem   the Idempotency-Key's string key at home (touched only when ARGV[4] ~= '')

  ARGV[1] userId   ARGV[2] claimId   ARGV[3] the bucket that sold it
  ARGV[4] the claim's record, to replay under its Idempotency-Key, or ''   ARGV[5] idempotency ttl (s)

  Returns 1 confirmed, 2 already confirmed, 0 no such hold (nothing changes).
]]
-- @include claim_ids

local ids = redis.call('HGET', KEYS[1], ARGV[1])
local sold = ARGV[2] .. '@' .. ARGV[3]
if redis.call('HDEL', KEYS[2], ARGV[2]) == 0 then
  for _, e in ipairs(claim_ids_list(ids)) do
    if e == sold then return 2 end
  end
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], claim_ids_replace(ids, '~' .. ARGV[2], sold))
if ARGV[4] ~= '' then redis.call('SET', KEYS[3], ARGV[4], 'EX', tonumber(ARGV[5])) end
return 1
