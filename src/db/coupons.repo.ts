import type { Coupon } from '../domain/coupon.ts';
import type { Database } from './client.ts';
import { guarded } from './outage.ts';

interface CouponRow {
  id: string;
  campaign_id: string;
  user_id: string;
  coupon_code: string;
  ordinal: number;
  bucket: number;
  home_bucket: number | null;
  status: Coupon['state'];
  claimed_ms: string;
  expires_ms: string | null;
  redeemed_ms: string | null;
  released_ms: string | null;
  order_id: string | null;
  unit_returned: boolean;
  returned: boolean;
}

const ms = (col: string, as: string) => `(extract(epoch from ${col}) * 1000)::bigint as ${as}`;
const COLUMNS = [
  'id, campaign_id, user_id, coupon_code, ordinal, bucket, home_bucket, status, order_id, unit_returned',
  '(returned_at is not null) as returned',
  ms('claimed_at', 'claimed_ms'),
  ms('expires_at', 'expires_ms'),
  ms('redeemed_at', 'redeemed_ms'),
  ms('released_at', 'released_ms'),
].join(', ');

const num = (v: string | null) => (v === null ? null : Number(v));

const toCoupon = (r: CouponRow): Coupon => ({
  code: r.coupon_code,
  claimId: r.id,
  campaignId: r.campaign_id,
  userId: r.user_id,
  ordinal: r.ordinal,
  bucket: r.bucket,
  homeBucket: r.home_bucket ?? r.bucket,
  state: r.status,
  claimedAt: Number(r.claimed_ms),
  expiresAt: num(r.expires_ms),
  redeemedAt: num(r.redeemed_ms),
  releasedAt: num(r.released_ms),
  orderId: r.order_id,
  unitReturned: r.unit_returned,
  returned: r.returned,
});

/**
 * A coupon's life after the grab, decided in Postgres: each change is one conditional UPDATE on the
 * claim's row, so two instances (or two order systems) racing on one coupon get one winner, and the
 * loser reads what won. Expiry is judged by Postgres' clock (now()).
 */
export function createCouponsRepo({ sql }: Pick<Database, 'sql'>) {
  const columns = sql.unsafe(COLUMNS);
  const one = (rows: CouponRow[]) => (rows[0] ? toCoupon(rows[0]) : null);

  return guarded({
    async byCode(code: string): Promise<Coupon | null> {
      return one(await sql<CouponRow[]>`select ${columns} from claims where coupon_code = ${code}`);
    },

    async byClaim(campaignId: string, claimId: string): Promise<Coupon | null> {
      return one(
        await sql<
          CouponRow[]
        >`select ${columns} from claims where id = ${claimId} and campaign_id = ${campaignId}`,
      );
    },

    /** Every claim of a user in a campaign, whatever its state, oldest first. */
    async ofUser(campaignId: string, userId: string): Promise<Coupon[]> {
      const rows = await sql<CouponRow[]>`
        select ${columns} from claims where campaign_id = ${campaignId} and user_id = ${userId}
        order by claimed_at, ordinal`;
      return rows.map(toCoupon);
    },

    /** Redeems an active, unexpired coupon for the order; null when it was not (read it to see why). */
    async redeem(code: string, orderId: string): Promise<Coupon | null> {
      return one(
        await sql<CouponRow[]>`
        update claims set status = 'redeemed', redeemed_at = now(), order_id = ${orderId}
        where coupon_code = ${code} and status = 'active' and (expires_at is null or expires_at > now())
        returning ${columns}`,
      );
    },

    /**
     * Gives an active, unexpired coupon back: its row stops holding a unit (the ledger counts one less,
     * and its (user, ordinal) place is free again); Redis gets the unit back next. Null when it was not.
     */
    async release(campaignId: string, claimId: string): Promise<Coupon | null> {
      const [row] = await sql<CouponRow[]>`
        with released as (
          update claims set status = 'released', released_at = now(), unit_returned = true
          where id = ${claimId} and campaign_id = ${campaignId} and status = 'active'
            and (expires_at is null or expires_at > now())
          returning *
        ), counted as (
          update campaign_ledger l set sold = l.sold - (select count(*) from released)
          where l.campaign_id = ${campaignId} and exists (select 1 from released)
        )
        select ${columns} from released`;
      return row ? toCoupon(row) : null;
    },

    /**
     * Marks the campaign's active coupons past their expiry as expired (Postgres' clock); on a campaign
     * that returns expired units, their rows stop holding a unit. Returns the coupons that expired now.
     */
    async expire(campaignId: string, returnUnits: boolean, limit = 5_000): Promise<Coupon[]> {
      const rows = await sql<CouponRow[]>`
        with due as (
          select id from claims where campaign_id = ${campaignId} and status = 'active'
            and expires_at <= now() order by expires_at limit ${limit} for update skip locked
        ), expired as (
          update claims c set status = 'expired', unit_returned = ${returnUnits}
          from due where c.id = due.id returning c.*
        ), counted as (
          update campaign_ledger l set sold = l.sold - (select count(*) from expired)
          where l.campaign_id = ${campaignId} and ${returnUnits} and exists (select 1 from expired)
        )
        select ${columns} from expired`;
      return rows.map(toCoupon);
    },

    /** Coupons whose unit Postgres gave back but Redis may not have yet. */
    async returning(campaignId: string, limit = 1_000): Promise<Coupon[]> {
      const rows = await sql<CouponRow[]>`
        select ${columns} from claims where campaign_id = ${campaignId} and unit_returned and returned_at is null
        limit ${limit}`;
      return rows.map(toCoupon);
    },

    /** Redis has these units back. */
    async markReturned(ids: string[]): Promise<void> {
      if (ids.length === 0) return;
      await sql`update claims set returned_at = now()
        where id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(ids)}::text::jsonb))
          and returned_at is null`;
    },

    /** Rows breaking the lifecycle's rules (a redeemed coupon without its order, and the like). */
    async inconsistent(campaignId: string): Promise<{ id: string; status: string }[]> {
      return sql<{ id: string; status: string }[]>`
        select id, status from claims where campaign_id = ${campaignId} and (
          (status = 'redeemed') <> (redeemed_at is not null)
          or (status = 'released') <> (released_at is not null)
          or (status = 'released' and not unit_returned)
          or (status in ('active', 'redeemed') and unit_returned))
        limit 50`;
    },
  });
}

export type CouponsRepo = ReturnType<typeof createCouponsRepo>;
