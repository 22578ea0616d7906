--[[
  reconcile_counters: one atomic look at a campaign's counters, repaired when they disagree with each
  other or with the total stock Postgres records (invariant I2: remaining + claimed = totalStock).
  Everything the reconciler judges about the counters comes from this one reply, so claims running
  meanwhile can never make consistent counters look like drift.

  KEYS[1] meta     hash of the campaign
  KEYS[2] pending  zset of claims not yet in Postgres
  KEYS[3] refused  hash of claims Postgres refused
  KEYS[4] reservations  hash of gift-pack reservations awaiting their decision (counted as claimed)

  ARGV[1] totalStock, as Postgres records it

  Returns { code, totalStock, remaining, claimed, pending, refused, seq, reserved } as found (before any
  repair):
    code 0   consistent
    code 1   corrected: totalStock and remaining rewritten (remaining = totalStock - claimed)
    code -1  oversold: claimed > totalStock; nothing written
  or { -7 } when the campaign is not loaded or being rebuilt.
]]
local meta = redis.call('HMGET', KEYS[1], 'totalStock', 'remaining', 'claimed', 'status', 'seq')
if not meta[1] or meta[4] == 'rebuilding' then return { -7 } end
local found = { tonumber(meta[1]), tonumber(meta[2]), tonumber(meta[3]), redis.call('ZCARD', KEYS[2]),
  redis.call('HLEN', KEYS[3]), tonumber(meta[5]) or 0, redis.call('HLEN', KEYS[4]) }
local total = tonumber(ARGV[1])
local claimed = found[3]
local code = 0
if claimed > total then
  code = -1
elseif found[1] ~= total or found[2] + claimed ~= total then
  redis.call('HSET', KEYS[1], 'totalStock', total, 'remaining', total - claimed)
  code = 1
end
return { code, found[1], found[2], found[3], found[4], found[5], found[6], found[7] }
