--[[
  finish_rebuild: write the definition and counters of a rebuilt campaign and open it to claims again.
  The claim records and users were written beforehand (while claims were held off); claimed is their
  count, so the counters agree with the records by construction.

  KEYS[1] meta    hash of the campaign
  KEYS[2] claims  hash: claimId -> claim record

  ARGV[1] totalStock
  ARGV[2..7] the definition (includes/definition.lua): perUserLimit, startsAt, endsAt (epoch ms),
             paused ('0' | '1'), version, name

  Returns { claimed, remaining }; remaining is never written below 0 (claimed > totalStock is an
  oversell the reconciler reports; it cannot be undone here).
]]
-- @include definition

local claimed = redis.call('HLEN', KEYS[2])
local remaining = tonumber(ARGV[1]) - claimed
if remaining < 0 then remaining = 0 end
redis.call('HSET', KEYS[1], 'totalStock', ARGV[1], 'remaining', remaining, 'claimed', claimed,
  'status', 'ready', definition_fields(2))
redis.call('HDEL', KEYS[1], 'rebuildingSince')
return { claimed, remaining }
