--[[
  begin_rebuild: hold claims off a campaign while it is rebuilt from Postgres. claim.lua answers
  "rebuilding" (503) from here until finish_rebuild.lua.

  KEYS[1] meta  hash of the campaign (may be missing: it is created with just the status)

  ARGV[1] now   epoch ms

  Returns 1.
]]
redis.call('HSET', KEYS[1], 'status', 'rebuilding', 'rebuildingSince', ARGV[1])
return 1
