--[[
  set_definition: write a campaign's operator-editable fields (Postgres is their source of truth).
  Counters and stock are untouched. Does nothing to a campaign Redis does not hold (a rebuild loads it).

  KEYS[1] meta  hash of the campaign

  ARGV[1] perUserLimit
  ARGV[2] startsAt (epoch ms)
  ARGV[3] endsAt (epoch ms)
  ARGV[4] paused ('0' | '1')
  ARGV[5] version
  ARGV[6] name

  Returns 1 when written, 0 when the campaign is not loaded.
]]
if redis.call('HEXISTS', KEYS[1], 'totalStock') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'perUserLimit', ARGV[1], 'startsAt', ARGV[2], 'endsAt', ARGV[3],
  'paused', ARGV[4], 'version', ARGV[5], 'name', ARGV[6])
return 1
