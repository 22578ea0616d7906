import type { CampaignsRepo } from '../db/campaigns.repo.ts';
import type { ClaimsRepo } from '../db/claims.repo.ts';
import type { CouponsRepo } from '../db/coupons.repo.ts';
import type { Claim } from '../domain/claim.ts';
import { type Coupon, type CouponStatus, couponStatus } from '../domain/coupon.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { RedisRouter } from '../redis/router.ts';
import { AppError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { type PendingClaim, pendingByCode, pendingById } from './pending.ts';
import { giveBack } from './returns.ts';

export interface CouponServiceDeps {
  redis: RedisRouter;
  keyPrefix: string;
  campaigns: CampaignsRepo;
  claims: Pick<ClaimsRepo, 'insertMany'>;
  coupons: CouponsRepo;
  /** Tells every instance a campaign's stock changed (a unit came back). */
  announce: (campaignId: string) => Promise<void>;
  log: Logger;
  /** Counts redeemed and released coupons (once, where the change happens). */
  metrics?: Pick<Metrics, 'coupon'>;
  now?: () => number;
}

/** Who asks: the order system (or an admin), or a user (who may only see and give back their own). */
export type Caller = { kind: 'service' } | { kind: 'user'; userId: string };

export interface CouponAnswer {
  coupon: Coupon;
  status: CouponStatus;
}

const notFound = (code: string) => new AppError('coupon_not_found', `no coupon ${code}`);
const claimNotFound = (id: string) => new AppError('claim_not_found', `no claim ${id}`);

/**
 * The coupon's life after the grab. Postgres decides every change with one conditional UPDATE, so it is
 * exactly once across every instance. A coupon still pending in Redis (acknowledged, not yet written by
 * the worker) is written to Postgres first, the way the worker would (idempotent by claim id), and then
 * decided like any other: one place, one clock, one rule.
 */
export function createCouponService(deps: CouponServiceDeps) {
  const now = deps.now ?? Date.now;
  const answer = (coupon: Coupon): CouponAnswer => ({
    coupon,
    status: couponStatus(coupon.state, coupon.expiresAt, now()),
  });

  /** Writes a pending claim into Postgres (as the worker will; whoever is first writes it). */
  const store = async (pending: PendingClaim): Promise<void> => {
    const { refused } = await deps.claims.insertMany([pending.claim]);
    if (refused.length > 0) {
      deps.log.warn('a pending claim cannot be stored; its coupon is not usable', { refused });
      throw notFound(pending.claim.couponCode);
    }
  };

  // Postgres, else Redis' pending claims, else Postgres again: the worker may have moved the claim from
  // one to the other between the first two reads.
  const byCode = async (code: string): Promise<Coupon | null> => {
    const stored = await deps.coupons.byCode(code);
    if (stored) return stored;
    const pending = await pendingByCode(deps, code);
    if (pending) await store(pending);
    return deps.coupons.byCode(code);
  };

  const pendingView = (p: PendingClaim): CouponAnswer => ({
    coupon: fromClaim(p.claim, p.campaign.couponTtlSeconds),
    status: 'pending',
  });

  /** Gives the unit back to Redis and records that it did; left to the reconciler when it cannot. */
  const returnUnit = async (coupon: Coupon, removeEntry: boolean) => {
    const campaign = await deps.campaigns.find(coupon.campaignId);
    if (!campaign) return;
    try {
      if (await giveBack(deps, coupon, campaign.buckets, removeEntry))
        await deps.coupons.markReturned([coupon.claimId]);
      await deps.announce(coupon.campaignId);
    } catch (err) {
      deps.log.warn('a released unit is not back in Redis yet; the reconciler finishes it', { err });
    }
  };

  return {
    /** The coupon by its code (the order system's check before it redeems). */
    async lookup(code: string, caller: Caller): Promise<CouponAnswer> {
      const stored = await deps.coupons.byCode(code);
      const pending = stored ? null : await pendingByCode(deps, code);
      const again = stored ?? (pending ? null : await deps.coupons.byCode(code));
      const found = again ? answer(again) : pending && pendingView(pending);
      if (!found || (caller.kind === 'user' && found.coupon.userId !== caller.userId)) throw notFound(code);
      return found;
    },

    /** Redeems the coupon for an order, once: the same order again replays; another order is refused. */
    async redeem(code: string, orderId: string): Promise<CouponAnswer> {
      // One conditional UPDATE decides it in the usual case (the coupon is in Postgres and active);
      // otherwise the coupon is looked up (a pending one is stored first) and the UPDATE tried again.
      const first = await deps.coupons.redeem(code, orderId);
      if (first) return answer(first);
      const current = await byCode(code);
      if (!current) throw notFound(code);
      const redeemed = await deps.coupons.redeem(code, orderId);
      if (redeemed) {
        deps.metrics?.coupon('redeemed');
        return answer(redeemed);
      }
      const now = await deps.coupons.byCode(code);
      if (!now) throw notFound(code);
      if (now.state === 'redeemed' && now.orderId === orderId) return answer(now);
      if (now.state === 'redeemed')
        throw new AppError('already_redeemed', `coupon ${code} was redeemed for another order`);
      if (now.state === 'released') throw new AppError('coupon_released', `coupon ${code} was given back`);
      throw new AppError('coupon_expired', `coupon ${code} expired`, {
        expiresAt: now.expiresAt === null ? null : new Date(now.expiresAt).toISOString(),
      });
    },

    /** The owner (or an admin) gives a coupon back: its unit returns to stock once, however often asked. */
    async release(campaignId: string, claimId: string, caller: Caller): Promise<CouponAnswer> {
      let current = await deps.coupons.byClaim(campaignId, claimId);
      if (!current) {
        const pending = await pendingById(deps, campaignId, claimId);
        if (pending && (caller.kind === 'service' || pending.claim.userId === caller.userId))
          await store(pending);
        current = await deps.coupons.byClaim(campaignId, claimId);
      }
      if (!current || (caller.kind === 'user' && current.userId !== caller.userId))
        throw claimNotFound(claimId);
      const changed = await deps.coupons.release(campaignId, claimId);
      if (changed) deps.metrics?.coupon('released');
      const released = changed ?? (await deps.coupons.byClaim(campaignId, claimId));
      if (!released) throw claimNotFound(claimId);
      if (released.state === 'redeemed')
        throw new AppError(
          'already_redeemed',
          `coupon ${released.code} was redeemed; it cannot be given back`,
        );
      if (
        released.state === 'expired' ||
        (released.state === 'active' && couponStatus('active', released.expiresAt, now()) === 'expired')
      )
        throw new AppError('coupon_expired', `coupon ${released.code} expired`);
      if (!released.returned) await returnUnit(released, true);
      return answer({ ...released, returned: true });
    },
  };
}

export type CouponService = ReturnType<typeof createCouponService>;

function fromClaim(c: Claim, ttlSeconds: number | null): Coupon {
  const bucket = c.bucket ?? 0;
  return {
    code: c.couponCode,
    claimId: c.id,
    campaignId: c.campaignId,
    userId: c.userId,
    ordinal: c.ordinal,
    bucket,
    homeBucket: c.homeBucket ?? bucket,
    state: 'active',
    claimedAt: c.claimedAt,
    expiresAt: ttlSeconds === null ? null : c.claimedAt + ttlSeconds * 1000,
    redeemedAt: null,
    releasedAt: null,
    orderId: null,
    unitReturned: false,
    returned: false,
  };
}
