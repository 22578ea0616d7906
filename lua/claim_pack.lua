--[[
  claim_pack: a whole gift pack in one step, where every campaign of the pack lives on this one server
  (standalone Redis; a cluster refuses keys of several slots in one script, and there the pack takes the
  two phases of reserve_unit.lua). Every campaign is checked first, as claim.lua checks a claim (window,
  pause, the user's limit, stock, the fence); only when all of them would sell is anything written: then
  each sells one coupon exactly as claim.lua records a claim, and the press' decision record is written
  in the same step (for its Idempotency-Key's replay). A refusal anywhere changes nothing anywhere.

  KEYS[1] the press' decision key (string; see src/bundle/decision.ts)
  then per campaign i (0-based), KEYS[2+5i .. 6+5i]: meta, users, claims, pending, codes (as claim.lua)

  ARGV[1] userId   ARGV[2] run id of the server   ARGV[3] the press' id (bundleClaimId)
  ARGV[4] the decision record's ttl (s)   ARGV[5] request id ('' for none)
  then per campaign i, ARGV[6+3i .. 8+3i]: campaignId, claimId (fresh), couponCode (fresh)

  Returns
    { 1, claimedAt, ordinal1, seq1, ordinal2, seq2, ... }   sold: one claim per campaign, in order
    { 0, code1, x1, code2, x2, ... }   refused: per campaign 1 (would sell) or its refusal code as
        claim.lua numbers them (-1 not found, -2 not started, -3 ended, -4 paused, -5 limit (x = the
        user's claim ids), -6 sold out, -7 being rebuilt, -8 fenced (x = the meta's run), -11 buckets)
]]
-- @include claim_ids
-- @include claim_record
-- @include clock
-- @include fence

local n = (#KEYS - 1) / 5
local userId, run = ARGV[1], ARGV[2]
local now = now_ms()
local refused = false
local checks = {}
local metas = {}
for i = 0, n - 1 do
  local k = 2 + 5 * i
  local meta = redis.call('HMGET', KEYS[k], 'perUserLimit', 'startsAt', 'endsAt', 'paused', 'remaining',
    'status', 'run', 'seq', 'buckets')
  local ids = redis.call('HGET', KEYS[k + 1], userId)
  local code, extra = 1, ''
  local limit = tonumber(meta[1])
  if not limit then code = -1
  elseif (tonumber(meta[9]) or 1) ~= 1 then code = -11
  elseif meta[6] == 'rebuilding' then code = -7
  elseif fenced(meta[7], run) then code, extra = -8, meta[7] or ''
  elseif now < tonumber(meta[2]) then code = -2
  elseif now >= tonumber(meta[3]) then code = -3
  elseif meta[4] == '1' then code = -4
  elseif claim_ids_count(ids) >= limit then code, extra = -5, ids
  elseif tonumber(meta[5]) <= 0 then code = -6
  end
  if code ~= 1 then refused = true end
  checks[#checks + 1] = code
  checks[#checks + 1] = extra
  metas[i] = { seq = (tonumber(meta[8]) or 0) + 1, ids = ids, ordinal = claim_ids_count(ids) + 1 }
end
if refused then
  local out = { 0 }
  for _, v in ipairs(checks) do out[#out + 1] = v end
  return out
end

local out = { 1, now }
local records = {}
for i = 0, n - 1 do
  local k = 2 + 5 * i
  local a = 6 + 3 * i
  local m = metas[i]
  local claimId, code = ARGV[a + 1], ARGV[a + 2]
  redis.call('HINCRBY', KEYS[k], 'remaining', -1)
  redis.call('HINCRBY', KEYS[k], 'claimed', 1)
  redis.call('HSET', KEYS[k], 'seq', m.seq)
  redis.call('HSET', KEYS[k + 1], userId, claim_ids_append(m.ids, claimId))
  local record = claim_record(claimId, ARGV[a], userId, code, now, m.ordinal, m.seq, nil,
    { bundleClaimId = ARGV[3] }, ARGV[5])
  redis.call('HSET', KEYS[k + 2], claimId, record)
  redis.call('ZADD', KEYS[k + 3], now, claimId)
  redis.call('HSET', KEYS[k + 4], code, claimId)
  records[#records + 1] = record
  out[#out + 1] = m.ordinal
  out[#out + 1] = m.seq
end
redis.call('SET', KEYS[1], '{"state":"commit","claims":[' .. table.concat(records, ',') .. ']}', 'EX',
  tonumber(ARGV[4]))
return out
