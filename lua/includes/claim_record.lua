-- claim_record: the pending claim record (JSON) stored in the claims hash under its claim id, and under
-- its Idempotency-Key. src/redis/records/claim-record.ts encodes and decodes the same format. `place`
-- is nil for a campaign with one bucket, else { bucket, buckets, homeBucket, homeSeq } (the last two
-- only for a claim sold away from the user's home bucket); a gift pack's claim carries { bundleClaimId }.
-- nil fields are left out of the JSON. `requestId` is the HTTP request's id ('' or nil for none), kept so
-- the reconciler's lines can name it.
local function claim_record(id, campaignId, userId, couponCode, claimedAt, ordinal, seq, idempotencyKey,
                            place, requestId)
  place = place or {}
  return cjson.encode({
    id = id,
    campaignId = campaignId,
    userId = userId,
    couponCode = couponCode,
    claimedAt = claimedAt,
    ordinal = ordinal,
    seq = seq,
    idempotencyKey = idempotencyKey,
    bucket = place.bucket,
    buckets = place.buckets,
    homeBucket = place.homeBucket,
    homeSeq = place.homeSeq,
    bundleClaimId = place.bundleClaimId,
    requestId = (requestId ~= nil and requestId ~= '') and requestId or nil,
  })
end
