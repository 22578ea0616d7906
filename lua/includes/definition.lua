-- definition: a campaign's operator-editable fields as HSET field/value pairs, read from ARGV starting
-- at `first`, in the order src/redis/scripts/definition.ts passes them. Use it as the last argument of
-- a call, so every pair is passed. The last two say which bucket of how many this key set is (fixed at
-- creation; written with the rest so a rebuilt bucket knows it too).
local function definition_fields(first)
  return 'perUserLimit', ARGV[first], 'startsAt', ARGV[first + 1], 'endsAt', ARGV[first + 2],
    'paused', ARGV[first + 3], 'version', ARGV[first + 4], 'name', ARGV[first + 5],
    'buckets', ARGV[first + 6], 'bucket', ARGV[first + 7]
end
