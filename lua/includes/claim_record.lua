-- claim_record: the pending claim record (JSON) stored in the claims hash under its claim id.
-- src/redis/records/claim-record.ts encodes and decodes the same format on the TypeScript side.
local function claim_record(id, campaignId, userId, couponCode, claimedAt, ordinal, idempotencyKey)
  return cjson.encode({
    id = id,
    campaignId = campaignId,
    userId = userId,
    couponCode = couponCode,
    claimedAt = claimedAt,
    ordinal = ordinal,
    idempotencyKey = idempotencyKey,
  })
end
