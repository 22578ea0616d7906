import { createHash } from 'node:crypto';

/**
 * A coupon's life after the grab. In Postgres a claim row is active, redeemed, released or expired; the
 * API also says pending (acknowledged, not yet in Postgres) and persisted (active and in Postgres).
 */
export type CouponState = 'active' | 'redeemed' | 'released' | 'expired';
export type CouponStatus = 'pending' | 'persisted' | 'redeemed' | 'released' | 'expired';

/** The status a client sees: an active coupon past its expiry is expired even before the sweep marks it. */
export function couponStatus(state: CouponState, expiresAt: number | null, now: number): CouponStatus {
  if (state === 'active') return expiresAt !== null && expiresAt <= now ? 'expired' : 'persisted';
  return state;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The first group of every coupon code of a campaign: 4 Crockford base32 characters from a hash of its
 * id. It lets the order system's lookup find the campaign of a coupon that is still pending in Redis (not
 * yet in Postgres); two campaigns may share a prefix, and the lookup tries each.
 */
export function codePrefix(campaignId: string): string {
  const h = createHash('sha256').update(campaignId).digest();
  const bits = (h[0]! << 12) | (h[1]! << 4) | (h[2]! >> 4);
  let out = '';
  for (let shift = 15; shift >= 0; shift -= 5) out += CROCKFORD[(bits >> shift) & 31];
  return out;
}

/** A coupon code as the API takes it: the prefix and four groups of four, or the older four groups. */
export const COUPON_CODE = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3,4}$/;

/** An order id as the order system sends it. */
export const ORDER_ID = /^[\x21-\x7e]{1,128}$/;

/** A claim's coupon as Postgres holds it, with its life after the grab. Times are epoch ms. */
export interface Coupon {
  code: string;
  claimId: string;
  campaignId: string;
  userId: string;
  ordinal: number;
  /** The bucket that sold it, and the user's home bucket (the same unless it was empty). */
  bucket: number;
  homeBucket: number;
  state: CouponState;
  claimedAt: number;
  expiresAt: number | null;
  redeemedAt: number | null;
  releasedAt: number | null;
  orderId: string | null;
  /** Its unit went back to stock (in Postgres), and Redis has it back too. */
  unitReturned: boolean;
  returned: boolean;
}
