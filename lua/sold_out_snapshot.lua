--[[
  sold_out_snapshot: the part of a sold-out bucket's state an instance needs to answer its claims by
  itself, read in one step: the window, the pause flag, the limit, and how many winners, sales and holds
  there are. The winners themselves are read afterwards in short HSCAN steps (a sale of millions must not
  make one long command); `claimed` and `holds` read again after the scan tell whether it saw a final
  state: no sale and no hold in between. Read-only.

  KEYS[1] meta   hash of the campaign's bucket
  KEYS[2] users  hash: userId -> claim entries
  KEYS[3] holds  hash: claims being sold in another bucket for users homed here

  Returns
    { -1 }   not sold out, being rebuilt, or missing
    { startsAt, endsAt, paused, perUserLimit, winners, claimed, holds }
]]
local meta = redis.call('HMGET', KEYS[1], 'remaining', 'status', 'startsAt', 'endsAt', 'paused', 'perUserLimit',
  'claimed')
local remaining = tonumber(meta[1])
if not remaining or remaining > 0 or meta[2] == 'rebuilding' then return { -1 } end
return { meta[3], meta[4], meta[5], meta[6], redis.call('HLEN', KEYS[2]), meta[7] or '0',
  redis.call('HLEN', KEYS[3]) }
