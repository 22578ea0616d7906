import type { Coupon } from '../domain/coupon.ts';
import { campaignKeys } from '../redis/keys.ts';
import type { RedisRouter } from '../redis/router.ts';
import { scripts } from '../redis/scripts/index.ts';

export interface ReturnDeps {
  redis: RedisRouter;
  keyPrefix: string;
}

/**
 * Gives a coupon's unit back to Redis once Postgres has decided it (released, or expired on a campaign
 * that returns expired units): the unit to the bucket that sold it, and, for a release, the user's entry
 * out of their home bucket so they may claim again. Each half is applied once however often this runs.
 * True when both are done; false when a bucket is held off or missing (the reconciler finishes it).
 */
export async function giveBack(
  deps: ReturnDeps,
  coupon: Pick<Coupon, 'claimId' | 'campaignId' | 'userId' | 'bucket' | 'homeBucket'>,
  buckets: number,
  removeEntry: boolean,
): Promise<boolean> {
  const seller = campaignKeys(deps.keyPrefix, coupon.campaignId, coupon.bucket, buckets);
  const home = campaignKeys(deps.keyPrefix, coupon.campaignId, coupon.homeBucket, buckets);
  const apply = (keys: typeof seller, returnUnit: boolean, entry: boolean) =>
    deps.redis.run(keys.meta, (r, runId) =>
      scripts.releaseClaim(r, keys, {
        claimId: coupon.claimId,
        userId: coupon.userId,
        returnUnit,
        removeEntry: entry,
        runId,
      }),
    );
  if (seller.bucket === home.bucket) return (await apply(seller, true, removeEntry)).kind === 'done';
  // The entry first: should the unit's half fail, the stock is short for a while, never oversold.
  if (removeEntry && (await apply(home, false, true)).kind !== 'done') return false;
  return (await apply(seller, true, false)).kind === 'done';
}
