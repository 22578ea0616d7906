--[[
  verify_fence: after the campaign's state was compared with what Postgres (and the queue) know, open it
  for sale on this server's run, unless it turned out to be behind.

  KEYS[1] meta  hash of the campaign (run, seq, status)

  ARGV[1] run id of the server this connection is attached to
  ARGV[2] the highest sequence number Postgres and the queue hold for the campaign

  Returns
    { 1 }        verified: the campaign sells again on this run
    { 2 }        it already was verified on this run; nothing changes
    { 0, seq }   behind: Redis' sequence (seq) is below what Postgres knows; nothing changes (rebuild it)
    { -1 }       not loaded       { -7 } being rebuilt
]]
local meta = redis.call('HMGET', KEYS[1], 'totalStock', 'status', 'run', 'seq')
if not meta[1] then return { -1 } end
if meta[2] == 'rebuilding' then return { -7 } end
if meta[3] == ARGV[1] then return { 2 } end
local seq = tonumber(meta[4]) or 0
if seq < tonumber(ARGV[2]) then return { 0, seq } end
redis.call('HSET', KEYS[1], 'run', ARGV[1])
return { 1 }
