--[[
  init_campaign: load a new campaign's definition into Redis, unless it is already there.

  KEYS[1] meta  hash of the campaign

  ARGV[1] totalStock
  ARGV[2] perUserLimit
  ARGV[3] startsAt (epoch ms)
  ARGV[4] endsAt (epoch ms)
  ARGV[5] paused ('0' | '1')
  ARGV[6] version
  ARGV[7] name

  Returns 1 when loaded, 0 when the campaign already existed (nothing changed).
]]
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1],
  'totalStock', ARGV[1], 'remaining', ARGV[1], 'claimed', 0,
  'perUserLimit', ARGV[2], 'startsAt', ARGV[3], 'endsAt', ARGV[4],
  'paused', ARGV[5], 'version', ARGV[6], 'name', ARGV[7], 'status', 'ready')
return 1
