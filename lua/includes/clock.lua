-- clock: Redis' own time in epoch milliseconds. Every decision that depends on time (a campaign's window,
-- a claim's timestamp, a coupon's expiry) reads this clock, so instances with skewed clocks agree.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
