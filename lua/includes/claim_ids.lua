-- claim_ids: the users hash holds, per user, their claim ids comma-separated, oldest first.
-- src/redis/records/claim-ids.ts reads and writes the same format on the TypeScript side.
local function claim_ids_count(ids)
  if not ids then return 0 end
  local _, commas = string.gsub(ids, ',', '')
  return commas + 1
end

local function claim_ids_append(ids, id)
  if ids then return ids .. ',' .. id end
  return id
end

local function claim_ids_list(ids)
  local out = {}
  if ids then
    for id in string.gmatch(ids, '[^,]+') do out[#out + 1] = id end
  end
  return out
end
