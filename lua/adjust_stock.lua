--[[
  adjust_stock: add stock to, or remove stock from, a live campaign, atomically with the claims running
  against it, and journal the change in the same step (Postgres records it afterwards; the reconciler
  replays journal entries Postgres is missing).

  KEYS[1] meta      hash of the campaign (totalStock, remaining, status)
  KEYS[2] journal   hash: adjustmentId -> JSON entry of an applied change

  ARGV[1] adjustmentId   stable across retries of one request (derived from its Idempotency-Key)
  ARGV[2] delta          integer, positive adds, negative removes
  ARGV[3] actor
  ARGV[4] run id of the server this connection is attached to (includes/fence.lua)
  ARGV[5] the operator's adjustment this is a part of, when it is spread over buckets ('' otherwise)

  Returns
    { 1, entry }       applied; entry = {id, delta, actor, at, totalBefore, totalAfter, remainingAfter,
                       and for a part of a spread change: group, bucket} (totals of this bucket)
    { 2, entry }       this adjustment id was applied before: its original entry, nothing changes
    { -1 }             campaign not found
    { -2, remaining }  refused: removing more than remains; nothing changes
    { -7 }             campaign is being rebuilt, or waits to be verified against Postgres; retry shortly
]]
-- @include clock
-- @include fence

local earlier = redis.call('HGET', KEYS[2], ARGV[1])
if earlier then return { 2, earlier } end

local meta = redis.call('HMGET', KEYS[1], 'totalStock', 'remaining', 'status', 'run', 'bucket')
local total = tonumber(meta[1])
if not total then return { -1 } end
if meta[3] == 'rebuilding' or fenced(meta[4], ARGV[4]) then return { -7 } end

local remaining = tonumber(meta[2])
local delta = tonumber(ARGV[2])
if remaining + delta < 0 then return { -2, remaining } end

redis.call('HINCRBY', KEYS[1], 'totalStock', delta)
redis.call('HINCRBY', KEYS[1], 'remaining', delta)
local entry = cjson.encode({
  id = ARGV[1],
  delta = delta,
  actor = ARGV[3],
  at = now_ms(),
  totalBefore = total,
  totalAfter = total + delta,
  remainingAfter = remaining + delta,
  group = ARGV[5] ~= '' and ARGV[5] or nil,
  bucket = ARGV[5] ~= '' and tonumber(meta[5]) or nil,
})
redis.call('HSET', KEYS[2], ARGV[1], entry)
return { 1, entry }
