import { homeBucket } from '../domain/buckets.ts';
import type { Claim } from '../domain/claim.ts';
import type { Coupon } from '../domain/coupon.ts';
import { campaignKeys } from '../redis/keys.ts';
import { decodeClaimRecord } from '../redis/records/claim-record.ts';
import type { RedisRouter } from '../redis/router.ts';
import { scripts } from '../redis/scripts/index.ts';
import type { BucketDirectory } from './bucket-directory.ts';

/** A user's claims in a campaign: those Postgres holds (any state), and those still only in Redis. */
export interface ListedClaims {
  stored: Coupon[];
  pending: Claim[];
}

export interface ListClaimsDeps {
  redis: RedisRouter;
  keyPrefix: string;
  directory: BucketDirectory;
  restoreIfKnown: (campaignId: string) => Promise<boolean>;
  /** The user's claims Postgres holds, whatever their state (given back ones included). */
  storedOfUser: (campaignId: string, userId: string) => Promise<Coupon[]>;
}

/** Records still pending in the buckets (other than home) that sold some of the user's claims. */
async function pendingElsewhere(
  deps: ListClaimsDeps,
  campaignId: string,
  buckets: number,
  byBucket: Map<number, string[]>,
): Promise<Claim[]> {
  const found = await Promise.all(
    [...byBucket].map(async ([bucket, ids]) => {
      const keys = campaignKeys(deps.keyPrefix, campaignId, bucket, buckets);
      const raw = await deps.redis.run(keys.meta, (r) => r.hmget(keys.claims, ...ids));
      return raw.flatMap((r) => (r === null ? [] : [decodeClaimRecord(r)]));
    }),
  );
  return found.flat();
}

/**
 * A user's claims in a campaign: what Postgres holds of them (with their state: persisted, redeemed,
 * released, expired) and, from Redis, those still pending there (their home bucket's, and the buckets
 * that sold them when home was empty). Null when the campaign is unknown, 'rebuilding' while restored.
 */
export async function listClaims(
  deps: ListClaimsDeps,
  campaignId: string,
  userId: string,
): Promise<ListedClaims | 'rebuilding' | null> {
  let buckets = deps.directory.count(campaignId);
  const read = (n: number) => {
    const keys = campaignKeys(deps.keyPrefix, campaignId, homeBucket(userId, n), n);
    return deps.redis.run(keys.meta, (r) => scripts.userClaims(r, keys, userId));
  };
  let listed = await read(buckets);
  if (typeof listed === 'number') {
    buckets = listed;
    deps.directory.learn(campaignId, buckets);
    listed = await read(buckets);
  }
  if (listed === null || typeof listed === 'number')
    return (await deps.restoreIfKnown(campaignId)) ? 'rebuilding' : null;
  const pending = [...listed.pending];
  const foreign = new Map<number, string[]>();
  for (const e of listed.entries) {
    if (e.hold || e.bucket === undefined) continue;
    const ids = foreign.get(e.bucket);
    if (ids) ids.push(e.id);
    else foreign.set(e.bucket, [e.id]);
  }
  if (foreign.size > 0) pending.push(...(await pendingElsewhere(deps, campaignId, buckets, foreign)));
  const stored = await deps.storedOfUser(campaignId, userId);
  const inPostgres = new Set(stored.map((c) => c.claimId));
  return { stored, pending: pending.filter((c) => !inPostgres.has(c.id)) };
}
