import type { Claim, NotActiveReason } from '../domain/claim.ts';
import type { ReserveResult } from '../redis/scripts/bundle.ts';

export type BundleOutcome =
  | { kind: 'claimed' | 'replayed'; claims: Claim[] }
  | { kind: 'not_active'; reason: NotActiveReason; campaignIds: string[] }
  | { kind: 'limit_reached' | 'sold_out'; campaignIds: string[] }
  | { kind: 'rebuilding' };

export const REBUILDING = { kind: 'rebuilding' } as const;

/** One campaign's answer to a press (`unknown`: Redis did not reply in time, so it may have reserved). */
export interface Attempt {
  campaignId: string;
  claimId: string;
  result: ReserveResult | { kind: 'unknown' };
}

/**
 * The refusal a press gets, most definite first: a campaign that is not active, then the limit, then
 * stock; a campaign Redis could not answer for (or is being restored) makes it 503 only when nothing
 * refused outright.
 */
export function refusalOf(attempts: Attempt[]): BundleOutcome {
  const ids = (kind: string) => attempts.filter((a) => a.result.kind === kind).map((a) => a.campaignId);
  const inactive = attempts.find((a) => a.result.kind === 'not_active');
  if (inactive && inactive.result.kind === 'not_active') {
    return { kind: 'not_active', reason: inactive.result.reason, campaignIds: ids('not_active') };
  }
  const limited = ids('limit_reached');
  if (limited.length > 0) return { kind: 'limit_reached', campaignIds: limited };
  const soldOut = ids('sold_out');
  if (soldOut.length > 0) return { kind: 'sold_out', campaignIds: soldOut };
  return REBUILDING;
}
