import type { z } from 'zod';
import type { StockChangeResult } from '../campaign/campaign.stock.ts';
import type { Bundle } from '../db/bundles.repo.ts';
import { type Campaign, campaignState, type LiveCampaign } from '../domain/campaign.ts';
import type { Claim, ClaimStatus } from '../domain/claim.ts';
import type { Coupon, CouponStatus } from '../domain/coupon.ts';
import type {
  adminCampaignSchema,
  bundleViewSchema,
  claimViewSchema,
  couponViewSchema,
  publicCampaignSchema,
} from './views.schema.ts';

/** How the API shows things: the JSON bodies of the HTTP contract (shapes: views.schema.ts), from domain values. */

export type ClaimView = z.infer<typeof claimViewSchema>;

export function claimView(claim: Claim, status: ClaimStatus): ClaimView {
  return {
    id: claim.id,
    campaignId: claim.campaignId,
    userId: claim.userId,
    couponCode: claim.couponCode,
    claimedAt: new Date(claim.claimedAt).toISOString(),
    status,
  };
}

export type PublicCampaign = z.infer<typeof publicCampaignSchema>;

export function publicView(c: LiveCampaign, now: number): PublicCampaign {
  return {
    id: c.id,
    name: c.name,
    startsAt: new Date(c.startsAt).toISOString(),
    endsAt: new Date(c.endsAt).toISOString(),
    state: campaignState(c, now),
    totalStock: c.totalStock,
    remaining: c.remaining,
    perUserLimit: c.perUserLimit,
  };
}

/** A campaign as the admin API shows it (from Postgres, the source of truth for definitions). */
export type AdminCampaign = z.infer<typeof adminCampaignSchema>;

export type BundleView = z.infer<typeof bundleViewSchema>;

export function bundleView(b: Bundle): BundleView {
  return { id: b.id, name: b.name, campaignIds: b.campaignIds, createdAt: b.createdAt.toISOString() };
}

export function adminView(c: Campaign): AdminCampaign {
  return {
    id: c.id,
    name: c.name,
    totalStock: c.totalStock,
    perUserLimit: c.perUserLimit,
    startsAt: c.startsAt.toISOString(),
    endsAt: c.endsAt.toISOString(),
    paused: c.paused,
    version: c.version,
    buckets: c.buckets,
    couponTtlSeconds: c.couponTtlSeconds,
    returnExpired: c.returnExpired,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export function stockChangeView(r: StockChangeResult) {
  return { adjustment: r.adjustment, campaign: adminView(r.campaign), replayed: r.replayed };
}

export function changeView<T extends { at: Date }>(row: T): Omit<T, 'at'> & { at: string } {
  return { ...row, at: row.at.toISOString() };
}

export type CouponView = z.infer<typeof couponViewSchema>;

const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());

export function couponView(c: Coupon, status: CouponStatus): CouponView {
  const redeemedAt = iso(c.redeemedAt);
  const expiresAt = iso(c.expiresAt);
  return {
    code: c.code,
    claimId: c.claimId,
    campaignId: c.campaignId,
    userId: c.userId,
    status,
    claimedAt: new Date(c.claimedAt).toISOString(),
    ...(redeemedAt ? { redeemedAt } : {}),
    ...(expiresAt ? { expiresAt } : {}),
    ...(c.orderId ? { orderId: c.orderId } : {}),
  };
}

/** A claim as claims/me and the release answer show it, from its coupon. */
export function claimOfCoupon(c: Coupon, status: CouponStatus): ClaimView {
  return {
    id: c.claimId,
    campaignId: c.campaignId,
    userId: c.userId,
    couponCode: c.code,
    claimedAt: new Date(c.claimedAt).toISOString(),
    status,
  };
}
