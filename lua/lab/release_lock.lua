--[[
  release_lock (strategy lab only, not the product): delete a lock only if it still holds our token, so a
  request whose lock expired cannot release the lock another request has taken since.

  KEYS[1..n] lock keys
  ARGV[1]    the token this request wrote with SET NX PX

  Returns the number of locks released (a lock that expired or changed hands is left alone).
]]
local released = 0
for i = 1, #KEYS do
  if redis.call('get', KEYS[i]) == ARGV[1] then
    released = released + redis.call('del', KEYS[i])
  end
end
return released
