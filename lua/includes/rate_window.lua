-- rate_window: a sliding one-second window kept in one small hash per limited subject (a user, a client
-- address): this second's count and the last one's, the last one weighted by how much of it the window
-- still covers. No fixed window edge to burst across, and one key per subject that expires on its own.

-- The window of `key` at `now` (epoch ms): { second, this second's count, the last one's }.
local function rate_read(key, now)
  local second = math.floor(now / 1000)
  local w = redis.call('HMGET', key, 's', 'c', 'p')
  local at, cur, prev = tonumber(w[1]), tonumber(w[2]) or 0, tonumber(w[3]) or 0
  if at ~= second then
    prev = (at == second - 1) and cur or 0
    cur = 0
  end
  return { second, cur, prev }
end

-- 0 when one more request fits in the window, else the milliseconds until it would.
local function rate_wait(window, limit, now)
  local into = (now % 1000) / 1000
  if window[2] + window[3] * (1 - into) >= limit then return math.max(1, 1000 - (now % 1000)) end
  return 0
end

-- Counts one request in the window.
local function rate_count(key, window, limit)
  redis.call('HSET', key, 's', window[1], 'c', window[2] + 1, 'p', window[3])
  redis.call('PEXPIRE', key, 2000)
end
