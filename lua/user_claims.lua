--[[
  user_claims: one user's claims in a campaign, each with whether it is still pending. Read-only.

  KEYS[1] meta     hash of the campaign (only checked for existence)
  KEYS[2] users    hash: userId -> that user's claim ids (includes/claim_ids.lua)
  KEYS[3] claims   hash: claimId -> claim record (JSON)
  KEYS[4] pending  zset of claim ids not yet confirmed in Postgres

  ARGV[1] userId

  Returns
    { -1 }                                  campaign not found
    { 1, record1, pending1, record2, ... }  pending is 1 or 0
]]
-- @include claim_ids

if redis.call('EXISTS', KEYS[1]) == 0 then return { -1 } end
local out = { 1 }
for _, id in ipairs(claim_ids_list(redis.call('HGET', KEYS[2], ARGV[1]))) do
  local record = redis.call('HGET', KEYS[3], id)
  if record then
    out[#out + 1] = record
    out[#out + 1] = redis.call('ZSCORE', KEYS[4], id) and 1 or 0
  end
end
return out
