--[[
  claim: decide one claim atomically: window, pause, per-user limit and stock are checked and the claim
  recorded in one step, so no other claim can slip in between. (Stock changes, rebuilds and counter
  repairs have scripts of their own; this is the only script that sells.)

  KEYS[1] meta     hash: totalStock, perUserLimit, startsAt, endsAt (epoch ms), paused ('0'|'1'),
                   remaining, claimed, seq (claims and holds ever made here), status ('ready' |
                   'rebuilding'), run (includes/fence.lua), bucket and buckets (absent: 0 of 1)
  KEYS[2] users    hash: userId -> that user's claim ids (includes/claim_ids.lua)
  KEYS[3] claims   hash: claimId -> pending claim record (includes/claim_record.lua); removed once in
                   Postgres
  KEYS[4] pending  zset: claimId scored by claimedAt; claims not yet confirmed in Postgres
  KEYS[5] idem     string: the claim record an Idempotency-Key produced (touched only when ARGV[5] ~= '')
  KEYS[6] rate of the user            hash: the user's sliding window (includes/rate_window.lua)
  KEYS[7] rate of the client address  hash: that address' sliding window
  KEYS[8] holds    hash: claimId -> hold (JSON) of a claim being sold in another bucket (buckets > 1)
  KEYS[9] codes    hash: coupon code -> claimId, while the claim is pending

  ARGV[1] campaignId
  ARGV[2] userId
  ARGV[3] claimId       fresh id, stored only on success
  ARGV[4] couponCode    fresh code, stored only on success
  ARGV[5] idempotency key, or '' for none
  ARGV[6] idempotency ttl in seconds
  ARGV[7] run id of the server this connection is attached to
  ARGV[8] claims a user may attempt per second on this campaign (0: unlimited)
  ARGV[9] claims a client address may attempt per second on this campaign (0: unlimited)
  ARGV[10] how many buckets the caller believes the campaign has (it sent the claim to the user's home)
  ARGV[11] hold ms: with buckets > 1 and this bucket empty, 0 answers { -10 }; above 0 places a hold for
           this long, for the caller to sell the claim in another bucket (claim_foreign.lua) and then
           confirm it (confirm_hold.lua) or release it (release_hold.lua)
  ARGV[12] the HTTP request's id, or '' (kept in the pending record, for log lines)

  Returns
    { 1, ordinal, claimedAt, seq }  claimed (claimedAt from Redis' clock, epoch ms): stock decremented,
                    user recorded, pending record written; the caller made every other field
    { 2, record, pending }  this claim already exists (the Idempotency-Key, or this very claim id, was
                    seen): its original record, and 1 while it is not yet in Postgres; nothing changes
    { -1 }          campaign not found
    { -2 }          not started       { -3 } ended        { -4 } paused
    { -5, ids }     per-user limit reached; ids = the user's claim ids, comma-separated
    { -6 }          sold out
    { -7 }          campaign is being rebuilt from Postgres; retry shortly
    { -8, run }     fenced: the campaign was not verified on this server's run (run = the meta's run)
    { -9, ms }      rate limited (the user's or the address' window is full): retry in ms; not counted
    { 3, ordinal, deadline, seq }  hold placed (buckets > 1, this bucket empty): sell it elsewhere before
                    deadline (Redis' clock, epoch ms); seq is the hold's place in this bucket's sequence
    { -10 }         this bucket is empty (buckets > 1, hold ms 0): try the others
    { -11, n }      the campaign has n buckets, not ARGV[10]: the claim belongs to another home bucket
    { -12 }         the Idempotency-Key's claim is being sold in another bucket right now; retry shortly
]]
-- @include claim_ids
-- @include claim_record
-- @include clock
-- @include fence
-- @include rate_window

local meta = redis.call('HMGET', KEYS[1], 'perUserLimit', 'startsAt', 'endsAt', 'paused', 'remaining',
  'status', 'run', 'seq', 'buckets', 'bucket')
local perUserLimit = tonumber(meta[1])
if not perUserLimit then return { -1 } end
local buckets = tonumber(meta[9]) or 1
if buckets ~= tonumber(ARGV[10]) then return { -11, buckets } end
if meta[6] == 'rebuilding' then return { -7 } end
if fenced(meta[7], ARGV[7]) then return { -8, meta[7] or '' } end

-- Every attempt that reaches Redis counts, replays included: the limits protect this core.
local now = now_ms()
local userLimit, addressLimit = tonumber(ARGV[8]), tonumber(ARGV[9])
local userWindow = userLimit > 0 and rate_read(KEYS[6], now) or nil
local addressWindow = addressLimit > 0 and rate_read(KEYS[7], now) or nil
local wait = userWindow and rate_wait(userWindow, userLimit, now) or 0
if wait == 0 and addressWindow then wait = rate_wait(addressWindow, addressLimit, now) end
if wait > 0 then return { -9, wait } end
if userWindow then rate_count(KEYS[6], userWindow, userLimit) end
if addressWindow then rate_count(KEYS[7], addressWindow, addressLimit) end

local idemKey = ARGV[5]
if idemKey ~= '' then
  local earlier = redis.call('GET', KEYS[5])
  if earlier then
    local record = cjson.decode(earlier)
    if record.hold then return { -12 } end
    -- Sold in another bucket: its pending state is there; say pending, so the caller makes sure of it.
    local elsewhere = record.bucket ~= nil and record.bucket ~= tonumber(meta[10])
    return { 2, earlier, (elsewhere or redis.call('ZSCORE', KEYS[4], record.id)) and 1 or 0 }
  end
end

-- The same command delivered twice (a client resend) must not claim twice.
local claimId = ARGV[3]
local again = redis.call('HGET', KEYS[3], claimId)
if again then return { 2, again, 1 } end

if now < tonumber(meta[2]) then return { -2 } end
if now >= tonumber(meta[3]) then return { -3 } end
if meta[4] == '1' then return { -4 } end

local userId = ARGV[2]
local ids = redis.call('HGET', KEYS[2], userId)
local count = claim_ids_count(ids)
if count >= perUserLimit then return { -5, ids } end

local seq = (tonumber(meta[8]) or 0) + 1
if tonumber(meta[5]) <= 0 then
  if buckets == 1 then return { -6 } end
  local holdMs = tonumber(ARGV[11])
  if holdMs <= 0 then return { -10 } end
  -- The hold counts toward the user's limit here, where the limit is decided, while the unit is sold
  -- in another bucket; it takes a place in this bucket's sequence so the fence sees the write.
  local deadline = now + holdMs
  redis.call('HSET', KEYS[1], 'seq', seq)
  redis.call('HSET', KEYS[2], userId, claim_ids_append(ids, '~' .. claimId))
  redis.call('HSET', KEYS[8], claimId, cjson.encode({ userId = userId, ordinal = count + 1, seq = seq,
    deadline = deadline, idempotencyKey = idemKey ~= '' and idemKey or nil }))
  if idemKey ~= '' then
    redis.call('SET', KEYS[5], cjson.encode({ hold = claimId }), 'EX', tonumber(ARGV[6]))
  end
  return { 3, count + 1, deadline, seq }
end

redis.call('HINCRBY', KEYS[1], 'remaining', -1)
redis.call('HINCRBY', KEYS[1], 'claimed', 1)
redis.call('HSET', KEYS[1], 'seq', seq)
redis.call('HSET', KEYS[2], userId, claim_ids_append(ids, claimId))
local record = claim_record(claimId, ARGV[1], userId, ARGV[4], now, count + 1, seq,
  idemKey ~= '' and idemKey or nil, buckets > 1 and { bucket = tonumber(meta[10]), buckets = buckets } or nil,
  ARGV[12])
redis.call('HSET', KEYS[3], claimId, record)
redis.call('HSET', KEYS[9], ARGV[4], claimId)
redis.call('ZADD', KEYS[4], now, claimId)
if idemKey ~= '' then
  redis.call('SET', KEYS[5], record, 'EX', tonumber(ARGV[6]))
end
return { 1, count + 1, now, seq }
