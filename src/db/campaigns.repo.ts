import { and, desc, eq, gt, lte, sql } from 'drizzle-orm';
import type { Campaign, DefinitionChanges } from '../domain/campaign.ts';
import { codePrefix } from '../domain/coupon.ts';
import type { Executor } from './client.ts';
import { guarded } from './outage.ts';
import { type CampaignRow, campaignLedger, campaigns } from './schema.ts';

const toCampaign = (row: CampaignRow): Campaign => ({
  id: row.id,
  name: row.name,
  totalStock: row.totalStock,
  perUserLimit: row.perUserLimit,
  startsAt: row.startsAt,
  endsAt: row.endsAt,
  paused: row.paused,
  version: row.version,
  buckets: row.buckets,
  couponTtlSeconds: row.couponTtlSeconds,
  returnExpired: row.returnExpired,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const one = (rows: CampaignRow[]): Campaign | null => (rows[0] ? toCampaign(rows[0]) : null);

const mustExist =
  (id: string) =>
  (rows: CampaignRow[]): Campaign => {
    if (!rows[0]) throw new Error(`campaign ${id} vanished inside its transaction`);
    return toCampaign(rows[0]);
  };

export type NewCampaign = Pick<
  Campaign,
  | 'id'
  | 'name'
  | 'totalStock'
  | 'perUserLimit'
  | 'startsAt'
  | 'endsAt'
  | 'buckets'
  | 'couponTtlSeconds'
  | 'returnExpired'
>;

export function createCampaignsRepo(db: Executor) {
  return guarded({
    /** Inserts a new campaign and its ledger row (call it in a transaction); null when the id is taken. */
    async insert(tx: Executor, def: NewCampaign): Promise<Campaign | null> {
      const rows = await tx
        .insert(campaigns)
        .values({ ...def, codePrefix: codePrefix(def.id) })
        .onConflictDoNothing()
        .returning();
      if (!rows[0]) return null;
      await tx.insert(campaignLedger).values({ campaignId: def.id, totalStock: def.totalStock });
      return toCampaign(rows[0]);
    },

    async find(id: string): Promise<Campaign | null> {
      return one(await db.select().from(campaigns).where(eq(campaigns.id, id)));
    },

    /** Campaigns whose coupon codes start with this prefix (usually one). */
    async byCodePrefix(prefix: string): Promise<Campaign[]> {
      return (await db.select().from(campaigns).where(eq(campaigns.codePrefix, prefix)).limit(20)).map(
        toCampaign,
      );
    },

    /**
     * Reads the row and holds it until the transaction ends: operator writes (and reconciler passes) are
     * serialised. FOR NO KEY UPDATE, not FOR UPDATE: the workers' INSERTs check the claims' foreign key
     * with a key-share lock on this row, which this does not block (FOR UPDATE would, and with the
     * ledger row in between, the two could deadlock).
     */
    async lock(tx: Executor, id: string): Promise<Campaign | null> {
      return one(await tx.select().from(campaigns).where(eq(campaigns.id, id)).for('no key update'));
    },

    /**
     * The campaign's ledger row and the claims rows it counts, in one statement (one snapshot: a batch
     * inserts rows and bumps the ledger in one statement too, so the two always agree here).
     */
    async ledger(
      tx: Executor,
      id: string,
    ): Promise<{ totalStock: number; sold: number; rows: number } | null> {
      const result = await tx.execute<{ total_stock: number; sold: number; rows: number }>(sql`
        select l.total_stock, l.sold,
          (select count(*)::int from claims where campaign_id = ${id} and not unit_returned) as rows
        from campaign_ledger l where l.campaign_id = ${id}`);
      const row = result[0];
      return row ? { totalStock: row.total_stock, sold: row.sold, rows: row.rows } : null;
    },

    async list(limit = 100): Promise<Campaign[]> {
      const rows = await db.select().from(campaigns).orderBy(desc(campaigns.createdAt)).limit(limit);
      return rows.map(toCampaign);
    },

    /** Ids of the campaigns inside their window at `now`, the latest to start first (metrics). */
    async activeIds(now: Date, limit: number): Promise<string[]> {
      const rows = await db
        .select({ id: campaigns.id })
        .from(campaigns)
        .where(and(lte(campaigns.startsAt, now), gt(campaigns.endsAt, now)))
        .orderBy(desc(campaigns.startsAt))
        .limit(limit);
      return rows.map((r) => r.id);
    },

    /** Ids of the campaigns the scheduled reconciler looks at: not ended, or ended after `since`. */
    async recentIds(since: Date): Promise<string[]> {
      const rows = await db
        .select({ id: campaigns.id })
        .from(campaigns)
        .where(gt(campaigns.endsAt, since))
        .orderBy(campaigns.id);
      return rows.map((r) => r.id);
    },

    /** Writes changed definition fields and raises the version by one. */
    async update(tx: Executor, id: string, changes: DefinitionChanges): Promise<Campaign> {
      const rows = await tx
        .update(campaigns)
        .set({ ...changes, version: sql`${campaigns.version} + 1`, updatedAt: new Date() })
        .where(eq(campaigns.id, id))
        .returning();
      return mustExist(id)(rows);
    },

    /** Adds `delta` to the recorded total stock (and the ledger's) and raises the version by one. */
    async addStock(tx: Executor, id: string, delta: number): Promise<Campaign> {
      await tx
        .update(campaignLedger)
        .set({ totalStock: sql`${campaignLedger.totalStock} + ${delta}` })
        .where(eq(campaignLedger.campaignId, id));
      const rows = await tx
        .update(campaigns)
        .set({
          totalStock: sql`${campaigns.totalStock} + ${delta}`,
          version: sql`${campaigns.version} + 1`,
          updatedAt: new Date(),
        })
        .where(eq(campaigns.id, id))
        .returning();
      return mustExist(id)(rows);
    },
  });
}

export type CampaignsRepo = ReturnType<typeof createCampaignsRepo>;
