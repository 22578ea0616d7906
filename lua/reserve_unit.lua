--[[
  reserve_unit: the first phase of a gift pack (one coupon from each of several campaigns, all or
  nothing): takes one unit of this campaign for the user and keeps their place in its per-user limit, as
  claim.lua would, but records a reservation instead of a claim. The instance that made it commits it
  (commit_reservation.lua) once every campaign of the pack reserved, or aborts it (abort_reservation.lua)
  on any refusal; a reservation left behind by a crash is settled by the reconciler after its deadline,
  from the pack's decision record (see src/bundle/). Campaigns with stock buckets cannot be in a pack.

  KEYS[1] meta          hash of the campaign (as in claim.lua)
  KEYS[2] users         hash: userId -> claim entries; a reservation is `~<claimId>` (counts, not a claim)
  KEYS[3] reservations  hash: claimId -> { deadline, record } (JSON): record is the claim it would become

  ARGV[1] campaignId   ARGV[2] userId   ARGV[3] claimId (fresh)   ARGV[4] couponCode (fresh)
  ARGV[5] run id of the server this connection is attached to
  ARGV[6] how long the reservation may wait for its decision (ms)
  ARGV[7] the pack's claim id (one per press of the pack, shared by its reservations)
  ARGV[8] the HTTP request's id ('' for none), kept in the claim's record

  Returns
    { 1, ordinal, claimedAt, seq }  reserved: stock taken, the user's place kept
    { 2 }          this reservation exists already (a resend); nothing changes
    { -1 } not found   { -2 } not started   { -3 } ended   { -4 } paused
    { -5, ids }    per-user limit reached   { -6 } sold out   { -7 } being rebuilt
    { -8, run }    fenced (as claim.lua)    { -11, n } the campaign has n stock buckets (not allowed)
]]
-- @include claim_ids
-- @include claim_record
-- @include clock
-- @include fence

local meta = redis.call('HMGET', KEYS[1], 'perUserLimit', 'startsAt', 'endsAt', 'paused', 'remaining',
  'status', 'run', 'seq', 'buckets')
local perUserLimit = tonumber(meta[1])
if not perUserLimit then return { -1 } end
local buckets = tonumber(meta[9]) or 1
if buckets ~= 1 then return { -11, buckets } end
if meta[6] == 'rebuilding' then return { -7 } end
if fenced(meta[7], ARGV[5]) then return { -8, meta[7] or '' } end

local claimId = ARGV[3]
if redis.call('HEXISTS', KEYS[3], claimId) == 1 then return { 2 } end

local now = now_ms()
if now < tonumber(meta[2]) then return { -2 } end
if now >= tonumber(meta[3]) then return { -3 } end
if meta[4] == '1' then return { -4 } end

local userId = ARGV[2]
local ids = redis.call('HGET', KEYS[2], userId)
local count = claim_ids_count(ids)
if count >= perUserLimit then return { -5, ids } end
if tonumber(meta[5]) <= 0 then return { -6 } end

-- The unit is taken now (claimed counts it, so remaining + claimed = totalStock holds throughout) and
-- given back by an abort; the reservation takes a place in the sequence like any claim.
local seq = (tonumber(meta[8]) or 0) + 1
redis.call('HINCRBY', KEYS[1], 'remaining', -1)
redis.call('HINCRBY', KEYS[1], 'claimed', 1)
redis.call('HSET', KEYS[1], 'seq', seq)
redis.call('HSET', KEYS[2], userId, claim_ids_append(ids, '~' .. claimId))
local record = claim_record(claimId, ARGV[1], userId, ARGV[4], now, count + 1, seq, nil,
  { bundleClaimId = ARGV[7] }, ARGV[8])
redis.call('HSET', KEYS[3], claimId,
  cjson.encode({ deadline = now + tonumber(ARGV[6]), bundleClaimId = ARGV[7], record = record }))
return { 1, count + 1, now, seq }
