import { and, count, eq, inArray, sql } from 'drizzle-orm';
import type { Claim } from '../claim/claim.ts';
import type { Db } from './client.ts';
import { claims } from './schema.ts';

export interface InsertOutcome {
  /** Rows this call wrote. */
  inserted: string[];
  /** Claims already present under the same id: a re-delivery, harmless. */
  alreadyPresent: string[];
  /** Claims Postgres refused: another row holds their coupon code or (campaign, user, ordinal), or a constraint failed. */
  refused: string[];
}

function toRow(c: Claim) {
  return {
    id: c.id,
    campaignId: c.campaignId,
    userId: c.userId,
    ordinal: c.ordinal,
    couponCode: c.couponCode,
    idempotencyKey: c.idempotencyKey ?? null,
    claimedAt: new Date(c.claimedAt),
  };
}

export function createClaimsRepo(db: Db) {
  return {
    /** One multi-row INSERT; idempotent by the claim id and the unique constraints. */
    async insertMany(batch: Claim[]): Promise<InsertOutcome> {
      const rows = await db
        .insert(claims)
        .values(batch.map(toRow))
        .onConflictDoNothing()
        .returning({ id: claims.id });
      const inserted = rows.map((r) => r.id);
      if (inserted.length === batch.length) return { inserted, alreadyPresent: [], refused: [] };
      const written = new Set(inserted);
      const skipped = batch.filter((c) => !written.has(c.id)).map((c) => c.id);
      const present = new Set(
        (await db.select({ id: claims.id }).from(claims).where(inArray(claims.id, skipped))).map((r) => r.id),
      );
      return {
        inserted,
        alreadyPresent: skipped.filter((id) => present.has(id)),
        refused: skipped.filter((id) => !present.has(id)),
      };
    },

    async countByCampaign(campaignId: string): Promise<number> {
      const [row] = await db.select({ n: count() }).from(claims).where(eq(claims.campaignId, campaignId));
      return row?.n ?? 0;
    },

    async listForUser(campaignId: string, userId: string) {
      return db
        .select()
        .from(claims)
        .where(and(eq(claims.campaignId, campaignId), eq(claims.userId, userId)))
        .orderBy(claims.ordinal);
    },

    /** Which of these claim ids are in Postgres. */
    async existing(ids: string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await db
        .select({ id: claims.id })
        .from(claims)
        .where(sql`${claims.id} = any(${sql.param(ids)}::uuid[])`);
      return new Set(rows.map((r) => r.id));
    },
  };
}

export type ClaimsRepo = ReturnType<typeof createClaimsRepo>;
