import { z } from 'zod';

/** One acknowledged claim. Its id is the Redis record key, part of the queue job and the Postgres key. */
export const claimSchema = z.object({
  id: z.uuid(),
  campaignId: z.string().min(1),
  userId: z.string().min(1),
  couponCode: z.string().min(1),
  claimedAt: z.number().int().nonnegative(),
  ordinal: z.number().int().positive(),
  idempotencyKey: z.string().optional(),
});
export type Claim = z.infer<typeof claimSchema>;

export type ClaimStatus = 'pending' | 'persisted';

export interface ClaimView {
  id: string;
  campaignId: string;
  userId: string;
  couponCode: string;
  claimedAt: string;
  status: ClaimStatus;
}

export function claimView(claim: Claim, status: ClaimStatus): ClaimView {
  return {
    id: claim.id,
    campaignId: claim.campaignId,
    userId: claim.userId,
    couponCode: claim.couponCode,
    claimedAt: new Date(claim.claimedAt).toISOString(),
    status,
  };
}

export type NotActiveReason = 'not_started' | 'ended' | 'paused';

export type ClaimOutcome =
  | { kind: 'claimed'; claim: Claim }
  | { kind: 'replayed'; claim: Claim }
  | { kind: 'not_found' }
  | { kind: 'not_active'; reason: NotActiveReason }
  | { kind: 'limit_reached'; claimIds: string[] }
  | { kind: 'sold_out' }
  | { kind: 'rebuilding' };

/** Return codes of lua/claim.lua. */
export const ClaimCode = {
  Claimed: 1,
  Replayed: 2,
  NotFound: -1,
  NotStarted: -2,
  Ended: -3,
  Paused: -4,
  LimitReached: -5,
  SoldOut: -6,
  Rebuilding: -7,
} as const;

/** The claim as the caller prepared it for the script; the script adds the user's ordinal. */
export type ClaimDraft = Omit<Claim, 'ordinal'>;

/** The one place a claim script reply becomes a typed outcome. */
export function outcomeFromScript(reply: [number, (string | number)?], draft: ClaimDraft): ClaimOutcome {
  const [code, payload] = reply;
  switch (code) {
    case ClaimCode.Claimed:
      return { kind: 'claimed', claim: { ...draft, ordinal: Number(payload) } };
    case ClaimCode.Replayed:
      return { kind: 'replayed', claim: parseRecord(String(payload)) };
    case ClaimCode.NotFound:
      return { kind: 'not_found' };
    case ClaimCode.NotStarted:
      return { kind: 'not_active', reason: 'not_started' };
    case ClaimCode.Ended:
      return { kind: 'not_active', reason: 'ended' };
    case ClaimCode.Paused:
      return { kind: 'not_active', reason: 'paused' };
    case ClaimCode.LimitReached:
      return { kind: 'limit_reached', claimIds: payload ? String(payload).split(',') : [] };
    case ClaimCode.SoldOut:
      return { kind: 'sold_out' };
    case ClaimCode.Rebuilding:
      return { kind: 'rebuilding' };
    default:
      throw new Error(`claim script returned unknown code ${String(code)}`);
  }
}

/**
 * Claim records in Redis are written by our own Lua (cjson) on every accepted claim, so this is a plain
 * shape check rather than a schema parse; a record that fails it is loud. (Job payloads, which cross a
 * process boundary, are parsed with claimSchema.)
 */
export function parseRecord(json: string | undefined): Claim {
  if (json === undefined) throw new Error('claim script returned no record');
  const r = JSON.parse(json) as Record<string, unknown>;
  if (
    typeof r.id !== 'string' ||
    typeof r.campaignId !== 'string' ||
    typeof r.userId !== 'string' ||
    typeof r.couponCode !== 'string' ||
    typeof r.claimedAt !== 'number' ||
    typeof r.ordinal !== 'number' ||
    (r.idempotencyKey !== undefined && typeof r.idempotencyKey !== 'string')
  ) {
    throw new Error(`malformed claim record: ${json.slice(0, 200)}`);
  }
  return r as unknown as Claim;
}
