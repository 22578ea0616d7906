-- claim_ids: the users hash holds, per user, their claim entries comma-separated, oldest first. An entry
-- is a claim id (sold in this bucket), `<id>@<b>` (sold in bucket b: this is the user's home bucket and
-- it was empty), or `~<id>` (a hold: a claim being sold in another bucket right now). Every entry counts
-- toward the per-user limit. src/redis/records/claim-ids.ts reads and writes the same format.
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

-- The list with `entry` replaced by `replacement` (nil removes it); nil when nothing is left.
local function claim_ids_replace(ids, entry, replacement)
  local out = {}
  for _, e in ipairs(claim_ids_list(ids)) do
    if e == entry then
      if replacement then out[#out + 1] = replacement end
    else
      out[#out + 1] = e
    end
  end
  if #out == 0 then return nil end
  return table.concat(out, ',')
end
