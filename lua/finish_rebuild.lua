--[[
  finish_rebuild: write the definition and counters of a rebuilt campaign and open it to claims again,
  verified on this server's run. The users hash and the pending records were written beforehand (while
  claims were held off).

  KEYS[1] meta    hash of the campaign

  ARGV[1] totalStock (this bucket's)
  ARGV[2..9] the definition (includes/definition.lua): perUserLimit, startsAt, endsAt (epoch ms),
             paused ('0' | '1'), version, name, buckets, bucket
  ARGV[10] claimed: the claims the rebuild kept (sold in this bucket)
  ARGV[11] seq: where the bucket's sequence continues (above every sequence number known anywhere)
  ARGV[12] run id of the server this connection is attached to

  Returns { claimed, remaining }; remaining is never written below 0 (claimed > totalStock is an
  oversell the reconciler reports; it cannot be undone here).
]]
-- @include definition

local claimed = tonumber(ARGV[10])
local remaining = tonumber(ARGV[1]) - claimed
if remaining < 0 then remaining = 0 end
redis.call('HSET', KEYS[1], 'totalStock', ARGV[1], 'remaining', remaining, 'claimed', claimed,
  'seq', ARGV[11], 'run', ARGV[12], 'status', 'ready', definition_fields(2))
redis.call('HDEL', KEYS[1], 'rebuildingSince')
return { claimed, remaining }
