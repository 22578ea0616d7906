import type { Acknowledger } from '../claim/acknowledge.ts';
import type { SoldOutCache } from '../claim/sold-out.ts';
import type { Bundle } from '../db/bundles.repo.ts';
import type { Claim } from '../domain/claim.ts';
import { codePrefix } from '../domain/coupon.ts';
import { campaignKeys } from '../redis/keys.ts';
import type { RedisRouter } from '../redis/router.ts';
import { couponCode, uuidv7 } from '../shared/ids.ts';
import type { Logger } from '../shared/logger.ts';
import type { Attempt } from './outcome.ts';

/** What pressing a pack needs, whichever way it is decided. */
export interface PressDeps {
  redis: RedisRouter;
  keyPrefix: string;
  acknowledger: Pick<Acknowledger, 'acknowledge'>;
  /** True when Postgres knows the campaign (a restore of Redis' copy is then under way). */
  restoreIfKnown: (campaignId: string) => Promise<boolean>;
  /** Tells every instance a campaign's stock came back (drops sold-out snapshots). */
  announce: (campaignId: string) => Promise<void>;
  /** How long a reservation waits for its pack's decision before the reconciler settles it. */
  holdMs: number;
  /** How long a press' decision record is kept (it answers its Idempotency-Key's replays). */
  decisionTtlSeconds: number;
  log: Logger;
  soldOut?: Pick<SoldOutCache, 'check' | 'noteSoldOut'>;
}

/** One press of a pack: who, which pack, and its id (every claim of it carries it). */
export interface Press {
  bundle: Bundle;
  userId: string;
  bundleClaimId: string;
  idempotencyKey?: string | undefined;
  requestId?: string | undefined;
}

export const keysOf = (deps: PressDeps, campaignId: string) => campaignKeys(deps.keyPrefix, campaignId);

/** A fresh claim id and coupon code for each campaign of the pack. */
export const freshParts = (deps: PressDeps, bundle: Bundle) =>
  bundle.campaignIds.map((campaignId) => ({
    keys: keysOf(deps, campaignId),
    claimId: uuidv7(),
    couponCode: couponCode(codePrefix(campaignId)),
  }));

export const acknowledgeAll = (deps: PressDeps, claims: Claim[]) =>
  Promise.all(claims.map((c) => deps.acknowledger.acknowledge(c)));

/** What refusals tell the rest of the instance: restores to start, campaigns seen sold out. */
export async function noteRefusals(deps: PressDeps, attempts: Attempt[]): Promise<void> {
  for (const a of attempts) {
    if (a.result.kind === 'sold_out') deps.soldOut?.noteSoldOut(a.campaignId);
    if (a.result.kind === 'not_found' || a.result.kind === 'fenced' || a.result.kind === 'rebuilding')
      await deps.restoreIfKnown(a.campaignId).catch(() => false);
  }
}
