import { homeBucket } from '../domain/buckets.ts';
import type { Claim } from '../domain/claim.ts';
import { campaignKeys } from '../redis/keys.ts';
import { decodeClaimRecord } from '../redis/records/claim-record.ts';
import type { RedisRouter } from '../redis/router.ts';
import { scripts } from '../redis/scripts/index.ts';
import type { BucketDirectory } from './bucket-directory.ts';

export interface ListedClaim {
  claim: Claim;
  pending: boolean;
}

export interface ListClaimsDeps {
  redis: RedisRouter;
  keyPrefix: string;
  directory: BucketDirectory;
  restoreIfKnown: (campaignId: string) => Promise<boolean>;
  /** Claims already in Postgres, by id (their records left Redis once stored). */
  stored: (ids: string[]) => Promise<Claim[]>;
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
 * A user's claims in a campaign, oldest first: those still pending from Redis (their home bucket's, and
 * the buckets that sold them when home was empty), the others from Postgres; null when the campaign is
 * unknown, 'rebuilding' while it is restored.
 */
export async function listClaims(
  deps: ListClaimsDeps,
  campaignId: string,
  userId: string,
): Promise<ListedClaim[] | 'rebuilding' | null> {
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
  const pendingIds = new Set(pending.map((c) => c.id));
  const rest = listed.entries.filter((e) => !e.hold && !pendingIds.has(e.id)).map((e) => e.id);
  const stored = rest.length > 0 ? await deps.stored(rest) : [];
  return [
    ...pending.map((claim) => ({ claim, pending: true })),
    ...stored.map((claim) => ({ claim, pending: false })),
  ].sort((a, b) => a.claim.ordinal - b.claim.ordinal);
}
