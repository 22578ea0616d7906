import { and, count, eq } from 'drizzle-orm';
import type { Claim } from '../../domain/claim.ts';
import type { Database } from '../client.ts';
import { claims } from '../schema.ts';

interface ClaimRow {
  id: string;
  campaign_id: string;
  user_id: string;
  ordinal: number;
  coupon_code: string;
  idempotency_key: string | null;
  ms: string;
  seq: string | null;
  bucket: number;
  home_bucket: number | null;
  home_seq: string | null;
  bundle_claim_id: string | null;
}

const CLAIM_COLUMNS =
  'id, campaign_id, user_id, ordinal, coupon_code, idempotency_key, seq, bucket, home_bucket, home_seq, bundle_claim_id, (extract(epoch from claimed_at) * 1000)::bigint as ms';

const toClaim = (r: ClaimRow): Claim => ({
  id: r.id,
  campaignId: r.campaign_id,
  userId: r.user_id,
  ordinal: r.ordinal,
  couponCode: r.coupon_code,
  claimedAt: Number(r.ms),
  // Rows stored before claims carried a sequence number count as the first ones.
  seq: r.seq === null ? 1 : Number(r.seq),
  ...(r.idempotency_key === null ? {} : { idempotencyKey: r.idempotency_key }),
  ...(r.bucket === 0 ? {} : { bucket: r.bucket }),
  ...(r.home_bucket === null ? {} : { homeBucket: r.home_bucket }),
  ...(r.home_seq === null ? {} : { homeSeq: Number(r.home_seq) }),
  ...(r.bundle_claim_id === null ? {} : { bundleClaimId: r.bundle_claim_id }),
});

/** Reading a campaign's ledger: what the reconciler, the rebuild and the stats need. */
export function claimReads({ db, sql }: Database) {
  return {
    /** Every claim of a campaign that still holds its unit (released ones gave it back), for the rebuild. */
    async allForCampaign(campaignId: string): Promise<Claim[]> {
      const rows = await sql<ClaimRow[]>`
        select ${sql.unsafe(CLAIM_COLUMNS)} from claims where campaign_id = ${campaignId} and not unit_returned`;
      return rows.map(toClaim);
    },

    /**
     * Claims of a campaign whose unit went back to stock (released, or expired and returned), for the
     * rebuild: the bucket that sold each must not return it again, and an expired one still counts
     * toward its user's limit.
     */
    async givenBackForCampaign(campaignId: string): Promise<{ claim: Claim; expired: boolean }[]> {
      const rows = await sql<(ClaimRow & { status: string })[]>`
        select ${sql.unsafe(CLAIM_COLUMNS)}, status from claims where campaign_id = ${campaignId} and unit_returned`;
      return rows.map((r) => ({ claim: toClaim(r), expired: r.status === 'expired' }));
    },

    /** These claims, those Postgres has. */
    async byIds(ids: string[]): Promise<Claim[]> {
      if (ids.length === 0) return [];
      const rows = await sql<ClaimRow[]>`
        select ${sql.unsafe(CLAIM_COLUMNS)} from claims
        where id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(ids)}::text::jsonb))`;
      return rows.map(toClaim);
    },

    /** Users holding more than `limit` claims of a campaign in Postgres (I5). */
    /**
     * Users holding more than `limit` coupons of the campaign, with how many. The unique index on
     * (campaign, user, ordinal) of the coupons still held means such a user has one with an ordinal above
     * the limit, so only those rows are looked for (an index range: the pass stays short at 10^7 claims).
     */
    async usersOver(campaignId: string, limit: number): Promise<Map<string, number>> {
      const rows = await sql<{ user_id: string; n: number }[]>`
        select user_id, count(*)::int as n from claims
        where campaign_id = ${campaignId} and not unit_returned and user_id in (
          select user_id from claims
          where campaign_id = ${campaignId} and not unit_returned and ordinal > ${limit})
        group by user_id`;
      return new Map(rows.map((r) => [r.user_id, r.n]));
    },

    /**
     * Claims a bucket of the campaign sold with a sequence number up to `seq` (older rows without one
     * count too).
     */
    async countUpToSeq(
      campaignId: string,
      seq: number,
      bucket = 0,
    ): Promise<{ held: number; returning: number }> {
      const [row] = await sql<{ held: number; returning: number }[]>`
        select count(*) filter (where not unit_returned)::int as held,
          count(*) filter (where unit_returned and returned_at is null)::int as returning
        from claims
        where campaign_id = ${campaignId} and bucket = ${bucket} and coalesce(seq, 0) <= ${seq}`;
      return { held: row?.held ?? 0, returning: row?.returning ?? 0 };
    },

    /**
     * The highest place in a bucket's sequence Postgres knows of (0 when none), the fence's watermark:
     * the claims the bucket sold, and the holds it placed for claims other buckets sold.
     */
    async maxSeq(campaignId: string, bucket = 0): Promise<number> {
      const [row] = await sql<{ seq: string | null }[]>`
        select greatest(
          (select max(seq) from claims where campaign_id = ${campaignId} and bucket = ${bucket}),
          (select max(home_seq) from claims where campaign_id = ${campaignId} and home_bucket = ${bucket})
        ) as seq`;
      return row?.seq == null ? 0 : Number(row.seq);
    },

    /** How many claims each bucket of the campaign sold. */
    async countByBucket(campaignId: string): Promise<Map<number, number>> {
      const rows = await sql<{ bucket: number; n: number }[]>`
        select bucket, count(*)::int as n from claims where campaign_id = ${campaignId} group by bucket`;
      return new Map(rows.map((r) => [r.bucket, r.n]));
    },

    /** Claims of the campaign in Postgres that hold their unit (not given back). */
    async countByCampaign(campaignId: string): Promise<number> {
      const [row] = await db
        .select({ n: count() })
        .from(claims)
        .where(and(eq(claims.campaignId, campaignId), eq(claims.unitReturned, false)));
      return row?.n ?? 0;
    },

    /** How many of the campaign's coupons are in each state. */
    async countByState(campaignId: string): Promise<Record<'redeemed' | 'released' | 'expired', number>> {
      const rows = await sql<{ status: string; n: number }[]>`
        select status, count(*)::int as n from claims where campaign_id = ${campaignId}
        and status <> 'active' group by status`;
      const of = (s: string) => rows.find((r) => r.status === s)?.n ?? 0;
      return { redeemed: of('redeemed'), released: of('released'), expired: of('expired') };
    },
  };
}
