--[[
  release_hold: no other bucket sold the claim a hold stood for (they were empty, or its deadline passed);
  the user's place at home is given back. Idempotent.

  KEYS[1] users  hash of the home bucket   KEYS[2] holds  hash of the home bucket
  KEYS[3] idem   the Idempotency-Key's string key at home (its hold marker is removed)

  ARGV[1] userId   ARGV[2] claimId

  Returns 1 released, 0 no such hold.
]]
-- @include claim_ids

if redis.call('HDEL', KEYS[2], ARGV[2]) == 0 then return 0 end
local ids = claim_ids_replace(redis.call('HGET', KEYS[1], ARGV[1]), '~' .. ARGV[2], nil)
if ids then
  redis.call('HSET', KEYS[1], ARGV[1], ids)
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
local marker = redis.call('GET', KEYS[3])
if marker and cjson.decode(marker).hold == ARGV[2] then redis.call('DEL', KEYS[3]) end
return 1
