-- claim_record: the pending claim record (JSON) stored in the claims hash under its claim id, and under
-- its Idempotency-Key. src/redis/records/claim-record.ts encodes and decodes the same format.
local function claim_record(id, campaignId, userId, couponCode, claimedAt, ordinal, seq, idempotencyKey)
  return cjson.encode({
    id = id,
    campaignId = campaignId,
    userId = userId,
    couponCode = couponCode,
    claimedAt = claimedAt,
    ordinal = ordinal,
    seq = seq,
    idempotencyKey = idempotencyKey,
  })
end
