--[[
  reconcile_counters: make a campaign's counters agree with its claim records and its total stock
  (invariant I2: remaining + claimed = totalStock, claimed = number of claim records), atomically with
  the claims running against it.

  KEYS[1] meta    hash of the campaign
  KEYS[2] claims  hash: claimId -> claim record

  ARGV[1] totalStock, as Postgres records it

  Returns
    { 0, totalStock, remaining, claimed }   already consistent
    { 1, totalStock, remaining, claimed }   corrected; the new values
    { -1, totalStock, records }             oversold: more records than stock; nothing written
    { -7 }                                  being rebuilt, or not loaded; nothing written
]]
local meta = redis.call('HMGET', KEYS[1], 'totalStock', 'remaining', 'claimed', 'status')
if not meta[1] or meta[4] == 'rebuilding' then return { -7 } end
local total = tonumber(ARGV[1])
local records = redis.call('HLEN', KEYS[2])
if records > total then return { -1, total, records } end
local remaining = total - records
if tonumber(meta[1]) == total and tonumber(meta[2]) == remaining and tonumber(meta[3]) == records then
  return { 0, total, remaining, records }
end
redis.call('HSET', KEYS[1], 'totalStock', total, 'remaining', remaining, 'claimed', records)
return { 1, total, remaining, records }
