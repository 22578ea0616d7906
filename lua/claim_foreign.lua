--[[
  claim_foreign: sell one unit of this bucket to a user homed in another bucket of the campaign (their home
  was empty and holds their place: see the hold in claim.lua). The user's limit was decided at home; here
  only the window, the pause flag, the fence and this bucket's stock are checked, and the claim recorded as
  pending in this bucket, as claim.lua records its own sales.

  KEYS[1] meta     hash of this bucket (as in claim.lua)
  KEYS[2] claims   hash: claimId -> pending claim record
  KEYS[3] pending  zset: claimId scored by claimedAt
  KEYS[4] codes    hash: coupon code -> claimId, while the claim is pending

  ARGV[1] campaignId   ARGV[2] userId   ARGV[3] claimId   ARGV[4] couponCode
  ARGV[5] idempotency key, or ''
  ARGV[6] run id of the server this connection is attached to
  ARGV[7] the hold's deadline (epoch ms, the home bucket's Redis clock): refused from then on, so a hold
          that the reconciler resolved after its deadline can never be sold behind its back
  ARGV[8] ordinal (decided at home)   ARGV[9] home bucket   ARGV[10] the hold's seq at home
  ARGV[11] the HTTP request's id, or '' (kept in the pending record, for log lines)

  Returns
    { 1, claimedAt, seq }  sold: stock decremented, pending record written
    { 2, record }          this claim id was sold here before (a resend); nothing changes
    { -1 } not found  { -2 } not started  { -3 } ended  { -4 } paused  { -6 } this bucket is empty
    { -7 } being rebuilt   { -8, run } fenced (as claim.lua)   { -13 } the hold's deadline has passed
]]
-- @include claim_record
-- @include clock
-- @include fence

local meta = redis.call('HMGET', KEYS[1], 'startsAt', 'endsAt', 'paused', 'remaining', 'status', 'run', 'seq',
  'bucket', 'buckets')
if not meta[1] then return { -1 } end
if meta[5] == 'rebuilding' then return { -7 } end
if fenced(meta[6], ARGV[6]) then return { -8, meta[6] or '' } end

local claimId = ARGV[3]
local again = redis.call('HGET', KEYS[2], claimId)
if again then return { 2, again } end

local now = now_ms()
if now >= tonumber(ARGV[7]) then return { -13 } end
if now < tonumber(meta[1]) then return { -2 } end
if now >= tonumber(meta[2]) then return { -3 } end
if meta[3] == '1' then return { -4 } end
if tonumber(meta[4]) <= 0 then return { -6 } end

local seq = (tonumber(meta[7]) or 0) + 1
redis.call('HINCRBY', KEYS[1], 'remaining', -1)
redis.call('HINCRBY', KEYS[1], 'claimed', 1)
redis.call('HSET', KEYS[1], 'seq', seq)
local record = claim_record(claimId, ARGV[1], ARGV[2], ARGV[4], now, tonumber(ARGV[8]), seq,
  ARGV[5] ~= '' and ARGV[5] or nil, { bucket = tonumber(meta[8]), buckets = tonumber(meta[9]),
  homeBucket = tonumber(ARGV[9]), homeSeq = tonumber(ARGV[10]) }, ARGV[11])
redis.call('HSET', KEYS[2], claimId, record)
redis.call('HSET', KEYS[4], ARGV[4], claimId)
redis.call('ZADD', KEYS[3], now, claimId)
return { 1, now, seq }
