--[[
  mark_persisted: the outcome of writing some of a campaign's claims to Postgres.
  - Committed claims: Redis keeps only what the gate needs of them (the user's claim ids in the users
    hash, the counters), so their records and pending entries go.
  - Refused claims (Postgres will never store them): out of the pending set (nothing to retry) and into
    the refused hash with the reason, where the reconciler reports them by id. Their records stay.
  - The fence's second detector: a claim in Postgres whose sequence number is above the campaign's own
    means Redis is behind Postgres (it lost writes, or a lagging replica took over), so the campaign is
    fenced (its verified run forgotten) until it has been rebuilt.

  KEYS[1] meta     hash of the campaign (seq, run)
  KEYS[2] claims   hash: claimId -> pending claim record
  KEYS[3] pending  zset of claims not yet in Postgres
  KEYS[4] refused  hash: claimId -> why Postgres refused it
  KEYS[5] codes    hash: coupon code -> claimId of pending claims

  ARGV[1] the highest sequence number among the committed claims
  ARGV[2] n, the number of committed claims that follow
  ARGV[3 .. 2+2n] committed claims as pairs: claim id, coupon code
  ARGV[3+2n ..] refused claims as pairs: claim id, reason

  Returns 1 when the campaign was found behind Postgres and fenced, 0 otherwise.
]]
local n = tonumber(ARGV[2])
local committed, codes = {}, {}
for i = 3, 2 + 2 * n, 2 do
  committed[#committed + 1] = ARGV[i]
  codes[#codes + 1] = ARGV[i + 1]
end
if #committed > 0 then
  redis.call('HDEL', KEYS[2], unpack(committed))
  redis.call('ZREM', KEYS[3], unpack(committed))
  redis.call('HDEL', KEYS[5], unpack(codes))
end
for i = 3 + 2 * n, #ARGV, 2 do
  redis.call('ZREM', KEYS[3], ARGV[i])
  redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
end
local seq = redis.call('HGET', KEYS[1], 'seq')
if seq and tonumber(seq) < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'run', '')
  return 1
end
return 0
