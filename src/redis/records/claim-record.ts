import type { Claim } from '../../domain/claim.ts';

/**
 * The pending claim record in a campaign's claims hash: the claim as JSON. Written by claim.lua
 * (lua/includes/claim_record.lua) and by the rebuild (encodeClaimRecord); this module is the only reader.
 */
export function encodeClaimRecord(c: Claim): string {
  return JSON.stringify({
    id: c.id,
    campaignId: c.campaignId,
    userId: c.userId,
    couponCode: c.couponCode,
    claimedAt: c.claimedAt,
    ordinal: c.ordinal,
    seq: c.seq,
    ...(c.idempotencyKey === undefined ? {} : { idempotencyKey: c.idempotencyKey }),
    ...(c.bucket === undefined ? {} : { bucket: c.bucket }),
    ...(c.buckets === undefined ? {} : { buckets: c.buckets }),
    ...(c.homeBucket === undefined ? {} : { homeBucket: c.homeBucket }),
    ...(c.homeSeq === undefined ? {} : { homeSeq: c.homeSeq }),
    ...(c.bundleClaimId === undefined ? {} : { bundleClaimId: c.bundleClaimId }),
    ...(c.requestId === undefined ? {} : { requestId: c.requestId }),
  });
}

/**
 * Records are written by our own code on every accepted claim, so this is a plain shape check rather
 * than a schema parse; a record that fails it is loud. (Job payloads, which cross a process boundary,
 * are parsed with claimSchema.)
 */
const OPTIONAL_NUMBERS = ['bucket', 'buckets', 'homeBucket', 'homeSeq'] as const;

export function decodeClaimRecord(json: string | null | undefined): Claim {
  if (json == null) throw new Error('no claim record');
  const r = JSON.parse(json) as Record<string, unknown>;
  if (
    typeof r.id !== 'string' ||
    typeof r.campaignId !== 'string' ||
    typeof r.userId !== 'string' ||
    typeof r.couponCode !== 'string' ||
    typeof r.claimedAt !== 'number' ||
    typeof r.ordinal !== 'number' ||
    typeof r.seq !== 'number' ||
    (r.idempotencyKey !== undefined && typeof r.idempotencyKey !== 'string') ||
    (r.bundleClaimId !== undefined && typeof r.bundleClaimId !== 'string') ||
    (r.requestId !== undefined && typeof r.requestId !== 'string') ||
    !OPTIONAL_NUMBERS.every((k) => r[k] === undefined || typeof r[k] === 'number')
  ) {
    throw new Error(`malformed claim record: ${json.slice(0, 200)}`);
  }
  return r as unknown as Claim;
}
