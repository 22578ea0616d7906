--[[
  set_definition: write a campaign's operator-editable fields (Postgres is their source of truth).
  Counters and stock are untouched. Does nothing to a campaign Redis does not hold (a rebuild loads it).

  KEYS[1] meta  hash of the campaign

  ARGV[1..8] the definition (includes/definition.lua): perUserLimit, startsAt, endsAt (epoch ms),
             paused ('0' | '1'), version, name, buckets, bucket

  Returns 1 when written, 0 when the campaign is not loaded.
]]
-- @include definition

if redis.call('HEXISTS', KEYS[1], 'totalStock') == 0 then return 0 end
redis.call('HSET', KEYS[1], definition_fields(1))
return 1
