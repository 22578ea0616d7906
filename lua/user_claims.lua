--[[
  user_claims: one user's claims in a campaign: all their claim ids, and the records of those still
  pending (a claim's record leaves Redis once it is in Postgres). Read-only.

  KEYS[1] meta     hash of the campaign (only checked for existence)
  KEYS[2] users    hash: userId -> that user's claim ids (includes/claim_ids.lua)
  KEYS[3] claims   hash: claimId -> pending claim record (includes/claim_record.lua)

  ARGV[1] userId

  Returns
    { -1 }                                 campaign not found
    { 1, ids, record1, record2, ... }      ids comma-separated ('' for none); the pending records
]]
-- @include claim_ids

if redis.call('EXISTS', KEYS[1]) == 0 then return { -1 } end
local ids = redis.call('HGET', KEYS[2], ARGV[1])
local out = { 1, ids or '' }
for _, id in ipairs(claim_ids_list(ids)) do
  local record = redis.call('HGET', KEYS[3], id)
  if record then out[#out + 1] = record end
end
return out
