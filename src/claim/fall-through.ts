import { homeBucket } from '../domain/buckets.ts';
import type { Claim } from '../domain/claim.ts';
import { type CampaignKeys, campaignKeys } from '../redis/keys.ts';
import type { RedisRouter } from '../redis/router.ts';
import type { ClaimScriptResult } from '../redis/scripts/claim.ts';
import type { Hold } from '../redis/scripts/holds.ts';
import { scripts } from '../redis/scripts/index.ts';
import type { BucketDirectory } from './bucket-directory.ts';

export interface FallThroughDeps {
  redis: RedisRouter;
  keyPrefix: string;
  idempotencyTtlSeconds: number;
  /** How long a hold at home waits for another bucket to sell its claim. */
  holdMs: number;
  directory: BucketDirectory;
  restoreIfKnown: (campaignId: string) => Promise<boolean>;
}

export interface Attempt {
  campaignId: string;
  userId: string;
  claimId: string;
  couponCode: string;
  idempotencyKey?: string | undefined;
  requestId?: string | undefined;
  buckets: number;
  /** Runs lua/claim.lua at the user's home bucket with the given hold time. */
  atHome: (holdMs: number) => Promise<ClaimScriptResult>;
}

/** What falling through ends with: a claim sold in another bucket, or what home said. */
export type FallThroughResult = { kind: 'sold'; claim: Claim } | ClaimScriptResult;

const REBUILDING = { kind: 'rebuilding' } as const;
const SOLD_OUT = { kind: 'sold_out' } as const;

/** The other buckets in ring order after home, with what remains in each (null: could not be read). */
async function donors(deps: FallThroughDeps, a: Attempt, home: number) {
  const order = Array.from({ length: a.buckets - 1 }, (_, i) => (home + 1 + i) % a.buckets).filter(
    (b) => !deps.directory.isEmpty(a.campaignId, b),
  );
  const read = await Promise.all(
    order.map(async (b) => {
      const keys = campaignKeys(deps.keyPrefix, a.campaignId, b, a.buckets);
      const remaining = await deps.redis
        .run(keys.meta, (r) => r.hget(keys.meta, 'remaining'))
        .then((v) => (v === null ? null : Number(v)))
        .catch(() => null);
      if (remaining !== null && remaining <= 0) deps.directory.noteEmpty(a.campaignId, b);
      return { keys, remaining };
    }),
  );
  // Fullest first, so the last units are taken from where most remain; unreadable ones last.
  return read
    .filter((d) => d.remaining === null || d.remaining > 0)
    .sort((x, y) => (y.remaining ?? -1) - (x.remaining ?? -1));
}

/**
 * The user's home bucket is empty: sell the claim from another bucket. The home keeps the user's limit:
 * a hold there takes the user's next place (so no other claim of theirs can take it meanwhile), a donor
 * bucket sells the unit (lua/claim_foreign.lua, refused once the hold's deadline passed), and the hold
 * becomes that claim at home. Every bucket empty: the hold is released and the user is told sold out,
 * which is true, since units never move between buckets and each was empty when asked. When the outcome
 * is not known (a donor did not answer), the hold stays: the reconciler resolves it after its deadline
 * from what the donors and Postgres hold, so the limit can never be exceeded.
 */
export async function claimElsewhere(deps: FallThroughDeps, a: Attempt): Promise<FallThroughResult> {
  const home = homeBucket(a.userId, a.buckets);
  const candidates = await donors(deps, a, home);
  if (candidates.length === 0) return SOLD_OUT;

  const held = await a.atHome(deps.holdMs);
  if (held.kind !== 'held') return held; // sold at home after all (stock came back), or refused there
  const homeKeys = campaignKeys(deps.keyPrefix, a.campaignId, home, a.buckets);
  const hold: Hold = {
    campaignId: a.campaignId,
    userId: a.userId,
    claimId: a.claimId,
    couponCode: a.couponCode,
    idempotencyKey: a.idempotencyKey,
    ordinal: held.ordinal,
    deadline: held.deadline,
    homeBucket: home,
    homeSeq: held.seq,
    requestId: a.requestId,
  };
  let unavailable = false;
  for (const donor of candidates) {
    const sold = await deps.redis.run(donor.keys.meta, (r, runId) =>
      scripts.claimForeign(r, donor.keys, hold, runId),
    );
    switch (sold.kind) {
      case 'claimed':
      case 'replayed': {
        const claim = sold.kind === 'replayed' ? sold.claim : soldClaim(hold, donor.keys, sold);
        await deps.redis.run(homeKeys.meta, (r) =>
          scripts.confirmHold(r, homeKeys, claim, deps.idempotencyTtlSeconds),
        );
        return { kind: 'sold', claim };
      }
      case 'sold_out':
        deps.directory.noteEmpty(a.campaignId, donor.keys.bucket);
        continue;
      case 'not_found':
      case 'rebuilding':
      case 'fenced':
        unavailable = true;
        await deps.restoreIfKnown(a.campaignId);
        continue;
      case 'expired':
        unavailable = true;
        break;
      case 'not_active':
        await release(deps, homeKeys, hold);
        return sold;
    }
    break;
  }
  await release(deps, homeKeys, hold);
  return unavailable ? REBUILDING : SOLD_OUT;
}

function soldClaim(hold: Hold, keys: CampaignKeys, sold: { claimedAt: number; seq: number }): Claim {
  return {
    id: hold.claimId,
    campaignId: hold.campaignId,
    userId: hold.userId,
    couponCode: hold.couponCode,
    claimedAt: sold.claimedAt,
    ordinal: hold.ordinal,
    seq: sold.seq,
    ...(hold.idempotencyKey ? { idempotencyKey: hold.idempotencyKey } : {}),
    bucket: keys.bucket,
    buckets: keys.buckets,
    homeBucket: hold.homeBucket,
    homeSeq: hold.homeSeq,
    ...(hold.requestId ? { requestId: hold.requestId } : {}),
  };
}

async function release(deps: FallThroughDeps, homeKeys: CampaignKeys, hold: Hold): Promise<void> {
  await deps.redis.run(homeKeys.meta, (r) => scripts.releaseHold(r, homeKeys, hold));
}
