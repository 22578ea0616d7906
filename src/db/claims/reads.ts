import { count, eq } from 'drizzle-orm';
import type { Claim } from '../../domain/claim.ts';
import type { Database } from '../client.ts';
import { claims } from '../schema.ts';

/** Reading a campaign's ledger: what the reconciler, the rebuild and the stats need. */
export function claimReads({ db, sql }: Database) {
  return {
    /** Every claim of a campaign, as the rebuild needs them. */
    async allForCampaign(campaignId: string): Promise<Claim[]> {
      const rows = await sql<
        {
          id: string;
          user_id: string;
          ordinal: number;
          coupon_code: string;
          idempotency_key: string | null;
          ms: string;
        }[]
      >`select id, user_id, ordinal, coupon_code, idempotency_key, (extract(epoch from claimed_at) * 1000)::bigint as ms
        from claims where campaign_id = ${campaignId}`;
      return rows.map((r) => ({
        id: r.id,
        campaignId,
        userId: r.user_id,
        ordinal: r.ordinal,
        couponCode: r.coupon_code,
        claimedAt: Number(r.ms),
        ...(r.idempotency_key === null ? {} : { idempotencyKey: r.idempotency_key }),
      }));
    },

    /** Ids of every persisted claim of a campaign. */
    async idsForCampaign(campaignId: string): Promise<Set<string>> {
      const rows = await sql<{ id: string }[]>`select id from claims where campaign_id = ${campaignId}`;
      return new Set(rows.map((r) => r.id));
    },

    /** Users holding more than `limit` claims of a campaign in Postgres (I5). */
    async usersOver(campaignId: string, limit: number): Promise<Map<string, number>> {
      const rows = await sql<{ user_id: string; n: number }[]>`
        select user_id, count(*)::int as n from claims where campaign_id = ${campaignId}
        group by user_id having count(*) > ${limit}`;
      return new Map(rows.map((r) => [r.user_id, r.n]));
    },

    async countByCampaign(campaignId: string): Promise<number> {
      const [row] = await db.select({ n: count() }).from(claims).where(eq(claims.campaignId, campaignId));
      return row?.n ?? 0;
    },
  };
}
