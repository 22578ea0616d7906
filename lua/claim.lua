--[[
  claim: decide one claim atomically: window, pause, per-user limit and stock are checked and the claim
  recorded in one step, so no other claim can slip in between. (Stock changes, rebuilds and counter
  repairs have scripts of their own; this is the only script that sells.)

  KEYS[1] meta     hash: totalStock, perUserLimit, startsAt, endsAt (epoch ms), paused ('0'|'1'),
                   remaining, claimed, status ('ready' | 'rebuilding')
  KEYS[2] users    hash: userId -> that user's claim ids (includes/claim_ids.lua)
  KEYS[3] claims   hash: claimId -> claim record (includes/claim_record.lua)
  KEYS[4] pending  zset: claimId scored by claimedAt; claims not yet confirmed in Postgres
  KEYS[5] idem     string: claim id an Idempotency-Key produced (touched only when ARGV[6] ~= '')

  ARGV[1] campaignId
  ARGV[2] userId
  ARGV[3] claimId       fresh id, stored only on success
  ARGV[4] couponCode    fresh code, stored only on success
  ARGV[5] now           epoch ms
  ARGV[6] idempotency key, or '' for none
  ARGV[7] idempotency ttl in seconds

  Returns
    { 1, ordinal }  claimed: stock decremented, user recorded, pending record written; the caller made
                    every other field of the record, so only the user's ordinal comes back
    { 2, record }   this claim already exists (the Idempotency-Key, or this very claim id, was seen):
                    its original record; nothing changes
    { -1 }          campaign not found
    { -2 }          not started       { -3 } ended        { -4 } paused
    { -5, ids }     per-user limit reached; ids = the user's claim ids, comma-separated
    { -6 }          sold out
    { -7 }          campaign is being rebuilt from Postgres; retry shortly
]]
-- @include claim_ids
-- @include claim_record

local meta = redis.call('HMGET', KEYS[1], 'perUserLimit', 'startsAt', 'endsAt', 'paused', 'remaining', 'status')
local perUserLimit = tonumber(meta[1])
if not perUserLimit then return { -1 } end
if meta[6] == 'rebuilding' then return { -7 } end

local idemKey = ARGV[6]
if idemKey ~= '' then
  local earlier = redis.call('GET', KEYS[5])
  if earlier then
    local record = redis.call('HGET', KEYS[3], earlier)
    if record then return { 2, record } end
  end
end

-- The same command delivered twice (a client resend) must not claim twice.
local claimId = ARGV[3]
local again = redis.call('HGET', KEYS[3], claimId)
if again then return { 2, again } end

local now = tonumber(ARGV[5])
if now < tonumber(meta[2]) then return { -2 } end
if now >= tonumber(meta[3]) then return { -3 } end
if meta[4] == '1' then return { -4 } end

local userId = ARGV[2]
local ids = redis.call('HGET', KEYS[2], userId)
local count = claim_ids_count(ids)
if count >= perUserLimit then return { -5, ids } end

if tonumber(meta[5]) <= 0 then return { -6 } end

redis.call('HINCRBY', KEYS[1], 'remaining', -1)
redis.call('HINCRBY', KEYS[1], 'claimed', 1)
redis.call('HSET', KEYS[2], userId, claim_ids_append(ids, claimId))
local record = claim_record(claimId, ARGV[1], userId, ARGV[4], now, count + 1, idemKey ~= '' and idemKey or nil)
redis.call('HSET', KEYS[3], claimId, record)
redis.call('ZADD', KEYS[4], now, claimId)
if idemKey ~= '' then
  redis.call('SET', KEYS[5], claimId, 'EX', tonumber(ARGV[7]))
end
return { 1, count + 1 }
