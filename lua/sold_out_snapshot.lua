--[[
  sold_out_snapshot: everything an instance needs to answer a sold-out campaign's claims by itself, in
  one consistent read: the window, the pause flag, the limit, and every winner with their claim ids.
  Once a campaign is sold out its winners are final until its stock or definition changes (which is
  announced on the campaign-changed channel). Read-only.

  KEYS[1] meta   hash of the campaign
  KEYS[2] users  hash: userId -> comma-separated claim ids

  ARGV[1] maxWinners   refuse (return { -1 }) rather than ship a larger winners map

  Returns
    { -1 }   not sold out, being rebuilt, missing, or too many winners to cache
    { startsAt, endsAt, paused, perUserLimit, user1, ids1, user2, ids2, ... }
]]
local meta = redis.call('HMGET', KEYS[1], 'remaining', 'status', 'startsAt', 'endsAt', 'paused', 'perUserLimit')
local remaining = tonumber(meta[1])
if not remaining or remaining > 0 or meta[2] == 'rebuilding' then return { -1 } end
if redis.call('HLEN', KEYS[2]) > tonumber(ARGV[1]) then return { -1 } end
local out = { meta[3], meta[4], meta[5], meta[6] }
local users = redis.call('HGETALL', KEYS[2])
for i = 1, #users do out[#out + 1] = users[i] end
return out
