import { decodeMeta, META_FIELDS } from '../../redis/records/campaign-meta.ts';
import { scripts } from '../../redis/scripts/index.ts';
import { checkCounters as countersViolations } from '../checks.ts';
import type { PassContext } from '../context.ts';

/** Step 4: the counters against the claim records and the total Postgres records (I1, I2). */
export async function checkCounters(ctx: PassContext): Promise<void> {
  const { deps, keys, campaign } = ctx;
  const before = decodeMeta(ctx.id, await deps.redis.hmget(keys.meta, ...META_FIELDS));
  const records = await deps.redis.hlen(keys.claims);
  const found = before
    ? countersViolations({
        totalStock: before.totalStock,
        remaining: before.remaining,
        claimed: before.claimed,
        claimRecords: records,
      })
    : [];
  const result = await scripts.reconcileCounters(deps.redis, keys, campaign.totalStock);
  const corrected = result.kind === 'corrected';
  if (corrected) ctx.repairs.countersFixed = true;
  for (const v of found) ctx.violations.push({ ...v, repaired: corrected && v.invariant !== 'I1' });
  if (before && before.totalStock !== campaign.totalStock) {
    ctx.violations.push({
      invariant: 'stock',
      message: `Redis total stock ${before.totalStock} differed from Postgres ${campaign.totalStock}`,
      values: { redis: before.totalStock, postgres: campaign.totalStock },
      repaired: corrected,
    });
  }
  if (result.kind === 'oversold' && !found.some((v) => v.invariant === 'I1')) {
    ctx.violations.push({
      invariant: 'I1',
      message: `oversold: ${result.records} claims for ${campaign.totalStock} coupons`,
      values: { totalStock: campaign.totalStock, claimRecords: result.records },
      repaired: false,
    });
  }
}
