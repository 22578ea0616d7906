import { giveBack } from '../../coupon/returns.ts';
import type { PassContext } from '../context.ts';

/**
 * The coupons' life after the grab, once per campaign before its buckets are checked: coupons past
 * their expiry are marked expired (Postgres' clock), units Postgres gave back (released, or expired on a
 * campaign that returns them) that Redis does not have back yet are returned (an instance died between
 * the two, or Redis was held off), and rows breaking the lifecycle's rules are reported.
 */
export async function settleLifecycle(ctx: PassContext): Promise<void> {
  const { deps, campaign } = ctx;
  const coupons = deps.repos.coupons;
  const expired = await coupons.expire(campaign.id, campaign.returnExpired);
  ctx.repairs.expired += expired.length;
  const due = await coupons.returning(campaign.id);
  const done: string[] = [];
  for (const c of due) {
    if (await giveBack(deps, c, campaign.buckets, c.state === 'released')) done.push(c.claimId);
  }
  await coupons.markReturned(done);
  ctx.repairs.returned += done.length;
  if (done.length > 0) await deps.announce?.(campaign.id);
  const late = due.length - done.length;
  if (late > 0) {
    ctx.violations.push({
      invariant: 'returns',
      message: `${late} units given back in Postgres could not be returned to Redis yet (a bucket is held off)`,
      values: {
        claimIds: due
          .filter((c) => !done.includes(c.claimId))
          .slice(0, 50)
          .map((c) => c.claimId),
      },
      repaired: false,
    });
  }
  const broken = await coupons.inconsistent(campaign.id);
  if (broken.length > 0) {
    ctx.violations.push({
      invariant: 'lifecycle',
      message: `${broken.length} coupons break the lifecycle's rules (redeemed without an order, and the like)`,
      values: { claims: broken },
      repaired: false,
    });
  }
}
