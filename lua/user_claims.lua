--[[
  user_claims: one user's claims in a campaign, read at their home bucket: all their claim entries, and
  the records of those this bucket sold that are still pending (a claim's record leaves Redis once it is
  in Postgres; one sold by another bucket is pending there). Read-only.

  KEYS[1] meta     hash of the campaign's bucket (its existence and bucket count)
  KEYS[2] users    hash: userId -> that user's claim ids (includes/claim_ids.lua)
  KEYS[3] claims   hash: claimId -> pending claim record (includes/claim_record.lua)

  ARGV[1] userId
  ARGV[2] how many buckets the caller believes the campaign has

  Returns
    { -1 }                                 campaign not found
    { -11, n }                             the campaign has n buckets: the user's home is elsewhere
    { 1, ids, record1, record2, ... }      entries comma-separated ('' for none); the pending records
]]
-- @include claim_ids

local buckets = redis.call('HGET', KEYS[1], 'buckets')
if not buckets and redis.call('EXISTS', KEYS[1]) == 0 then return { -1 } end
if (tonumber(buckets) or 1) ~= tonumber(ARGV[2]) then return { -11, tonumber(buckets) or 1 } end
local ids = redis.call('HGET', KEYS[2], ARGV[1])
local out = { 1, ids or '' }
for _, id in ipairs(claim_ids_list(ids)) do
  local record = redis.call('HGET', KEYS[3], id)
  if record then out[#out + 1] = record end
end
return out
