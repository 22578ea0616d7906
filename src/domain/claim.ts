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
});
export type Claim = z.infer<typeof claimSchema>;

export type ClaimStatus = 'pending' | 'persisted';

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
