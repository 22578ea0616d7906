--[[
  commit_reservation: the pack's decision is "commit": the reservation becomes a pending claim, exactly as
  claim.lua records one (record, pending entry, code), and the user's `~<id>` entry becomes the claim id.
  Idempotent: a second commit of the same reservation changes nothing.

  KEYS[1] meta   KEYS[2] users   KEYS[3] claims   KEYS[4] pending   KEYS[5] codes   KEYS[6] reservations

  ARGV[1] claimId   ARGV[2] userId

  Returns { 1, record } committed;  { 2 } committed before (the claim is pending, or in Postgres: then
          only the user's entry is left of it here);
          { 0 } no such reservation and no such claim (Redis lost it: reported by the caller);
          { -7 } being rebuilt.
]]
-- @include claim_ids

if redis.call('HGET', KEYS[1], 'status') == 'rebuilding' then return { -7 } end
local claimId = ARGV[1]
local raw = redis.call('HGET', KEYS[6], claimId)
if not raw then
  if redis.call('HEXISTS', KEYS[3], claimId) == 1 then return { 2 } end
  for _, e in ipairs(claim_ids_list(redis.call('HGET', KEYS[2], ARGV[2]))) do
    if e == claimId then return { 2 } end
  end
  return { 0 }
end
local reservation = cjson.decode(raw)
local record = reservation.record
local claim = cjson.decode(record)
redis.call('HDEL', KEYS[6], claimId)
redis.call('HSET', KEYS[3], claimId, record)
redis.call('HSET', KEYS[5], claim.couponCode, claimId)
redis.call('ZADD', KEYS[4], claim.claimedAt, claimId)
local ids = redis.call('HGET', KEYS[2], claim.userId)
redis.call('HSET', KEYS[2], claim.userId, claim_ids_replace(ids, '~' .. claimId, claimId) or claimId)
return { 1, record }
