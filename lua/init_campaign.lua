--[[
  init_campaign: load a new campaign's definition into Redis, unless it is already there.

  KEYS[1] meta  hash of the campaign

  ARGV[1] totalStock (this bucket's share)
  ARGV[2..9] the definition (includes/definition.lua): perUserLimit, startsAt, endsAt (epoch ms),
             paused ('0' | '1'), version, name, buckets, bucket
  ARGV[10] run id of the server this connection is attached to: a new campaign is verified by definition

  Returns 1 when loaded, 0 when the campaign already existed (nothing changed).
]]
-- @include definition

if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'totalStock', ARGV[1], 'remaining', ARGV[1], 'claimed', 0, 'seq', 0,
  'status', 'ready', 'run', ARGV[10], definition_fields(2))
return 1
