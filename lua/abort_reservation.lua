--[[
  abort_reservation: the pack's decision is "abort" (another campaign refused, or nobody decided before
  the deadline): the unit goes back to stock and the user's place back to them. Idempotent.

  KEYS[1] meta   KEYS[2] users   KEYS[3] reservations

  ARGV[1] claimId

  Returns { 1, remaining } aborted (remaining after it: 1 means the campaign was sold out until now);
          { 0 } no such reservation;  { -7 } being rebuilt.
]]
-- @include claim_ids

if redis.call('HGET', KEYS[1], 'status') == 'rebuilding' then return { -7 } end
local raw = redis.call('HGET', KEYS[3], ARGV[1])
if not raw then return { 0 } end
local claim = cjson.decode(cjson.decode(raw).record)
redis.call('HDEL', KEYS[3], ARGV[1])
local remaining = redis.call('HINCRBY', KEYS[1], 'remaining', 1)
redis.call('HINCRBY', KEYS[1], 'claimed', -1)
local ids = claim_ids_replace(redis.call('HGET', KEYS[2], claim.userId), '~' .. ARGV[1], nil)
if ids then
  redis.call('HSET', KEYS[2], claim.userId, ids)
else
  redis.call('HDEL', KEYS[2], claim.userId)
end
return { 1, remaining }
