import { scripts } from '../../redis/scripts/index.ts';
import type { PassContext } from '../context.ts';

/**
 * Step 4: the counters, judged from one atomic read (so claims running meanwhile never look like drift):
 * remaining + claimed = totalStock (I2, repaired in the same step), no oversell (I1), Redis' total as
 * Postgres records it; then no claim lost (I4): every claim Redis counted is pending, refused, or in
 * Postgres with a sequence number up to the one that read saw.
 */
export async function checkCounters(ctx: PassContext): Promise<void> {
  const { deps, keys, bucketTotal } = ctx;
  const result = await scripts.reconcileCounters(ctx.redis, keys, bucketTotal);
  if (result.kind === 'not_loaded') return;
  const { found } = result;
  ctx.found = found;
  if (result.kind === 'corrected') {
    ctx.repairs.countersFixed = true;
    if (found.remaining + found.claimed !== found.totalStock) {
      ctx.violations.push({
        invariant: 'I2',
        message: `remaining ${found.remaining} + claimed ${found.claimed} != totalStock ${found.totalStock}`,
        values: { ...found },
        repaired: true,
      });
    }
  }
  if (found.totalStock !== bucketTotal) {
    ctx.violations.push({
      invariant: 'stock',
      message: `Redis total stock ${found.totalStock} differed from Postgres ${bucketTotal}`,
      values: { redis: found.totalStock, postgres: bucketTotal },
      repaired: result.kind === 'corrected',
    });
  }
  if (result.kind === 'oversold') {
    ctx.violations.push({
      invariant: 'I1',
      message: `oversold: ${found.claimed} claims for ${bucketTotal} coupons`,
      values: { totalStock: bucketTotal, claimed: found.claimed },
      repaired: false,
    });
  }
  const upTo = await deps.repos.claims.countUpToSeq(ctx.id, found.seq, keys.bucket);
  ctx.persistedUpTo = upTo.held;
  // Units given back in Postgres whose return Redis may or may not have applied yet (it is finished by
  // the returns step): Redis counts them as claimed until then.
  ctx.returningUpTo = upTo.returning;
  // A gift pack's reservation counts as claimed from the start; it is settled by the reservations step.
  const accounted = found.pending + found.refused + found.reserved + upTo.held + upTo.returning;
  if (found.claimed > accounted) {
    ctx.violations.push({
      invariant: 'I4',
      message: `${found.claimed - accounted} acknowledged claims are neither pending nor in Postgres`,
      values: {
        claimed: found.claimed,
        pending: found.pending,
        refused: found.refused,
        reserved: found.reserved,
        persisted: ctx.persistedUpTo,
      },
      repaired: false,
    });
  }
}
