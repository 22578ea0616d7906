import { z } from 'zod';

/** One acknowledged claim. Its id is the Redis record key, part of the queue job and the Postgres key. */
export const claimSchema = z.object({
  id: z.uuid(),
  campaignId: z.string().min(1),
  userId: z.string().min(1),
  couponCode: z.string().min(1),
  claimedAt: z.number().int().nonnegative(),
  ordinal: z.number().int().positive(),
  /** The claim's place in its campaign's sequence in Redis: unique, and the fence's watermark. */
  seq: z.number().int().positive(),
  idempotencyKey: z.string().optional(),
  /** The bucket that sold it and how many the campaign has (absent: bucket 0 of 1). */
  bucket: z.number().int().min(0).max(63).optional(),
  buckets: z.number().int().min(1).max(64).optional(),
  /**
   * Sold from another bucket than the user's home (which was empty): the home bucket, and the place in
   * its sequence of the hold that kept the user's limit there (the home's fence watermark).
   */
  homeBucket: z.number().int().min(0).max(63).optional(),
  homeSeq: z.number().int().positive().optional(),
  /** Claimed as part of a gift pack: that press of the pack (shared by every claim of it). */
  bundleClaimId: z.uuid().optional(),
  /** The HTTP request that made it, for log lines downstream (kept in the pending record, not in Postgres). */
  requestId: z.string().max(100).optional(),
});
export type Claim = z.infer<typeof claimSchema>;

/** Where a claim lives: the bucket that sold it, of how many, and the user's home bucket. */
export function claimPlace(c: Claim): { bucket: number; buckets: number; home: number } {
  const bucket = c.bucket ?? 0;
  return { bucket, buckets: c.buckets ?? 1, home: c.homeBucket ?? bucket };
}

/**
 * The place a claim took in bucket b's sequence: its own seq where b sold it, the seq of the hold that
 * kept the user's limit where b is the user's home and another bucket sold it, else none (0).
 */
export function seqIn(c: Claim, b: number): number {
  const { bucket, home } = claimPlace(c);
  if (bucket === b) return c.seq;
  return home === b ? (c.homeSeq ?? 0) : 0;
}

export type { CouponStatus as ClaimStatus } from './coupon.ts';

export type NotActiveReason = 'not_started' | 'ended' | 'paused';

/** Every answer a claim can get; expected refusals are values, not exceptions. */
export type ClaimOutcome =
  | { kind: 'claimed'; claim: Claim }
  | { kind: 'replayed'; claim: Claim }
  | { kind: 'not_found' }
  | { kind: 'not_active'; reason: NotActiveReason }
  | { kind: 'limit_reached'; claimIds: string[] }
  | { kind: 'sold_out' }
  | { kind: 'rebuilding' }
  | { kind: 'rate_limited'; retryAfterMs: number };

/** The claim as the caller prepared it for the script; the script adds ordinal, time and sequence. */
export type ClaimDraft = Omit<Claim, 'ordinal' | 'claimedAt' | 'seq'>;
