import { desc, eq, gt, sql } from 'drizzle-orm';
import type { Campaign, DefinitionChanges } from '../domain/campaign.ts';
import type { Executor } from './client.ts';
import { guarded, sqlState } from './outage.ts';
import { type CampaignRow, campaigns } from './schema.ts';

const toCampaign = (row: CampaignRow): Campaign => ({
  id: row.id,
  name: row.name,
  totalStock: row.totalStock,
  perUserLimit: row.perUserLimit,
  startsAt: row.startsAt,
  endsAt: row.endsAt,
  paused: row.paused,
  version: row.version,
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
  'id' | 'name' | 'totalStock' | 'perUserLimit' | 'startsAt' | 'endsAt'
>;

export function createCampaignsRepo(db: Executor) {
  return guarded({
    /** Inserts a new campaign; returns null when the id is taken. */
    async insert(def: NewCampaign, tx: Executor = db): Promise<Campaign | null> {
      try {
        return one(await tx.insert(campaigns).values(def).returning());
      } catch (err) {
        if (sqlState(err) === '23505') return null;
        throw err;
      }
    },

    async find(id: string): Promise<Campaign | null> {
      return one(await db.select().from(campaigns).where(eq(campaigns.id, id)));
    },

    /** Reads the row and holds it (FOR UPDATE) until the transaction ends: operator writes are serialised. */
    async lock(tx: Executor, id: string): Promise<Campaign | null> {
      return one(await tx.select().from(campaigns).where(eq(campaigns.id, id)).for('update'));
    },

    async list(limit = 100): Promise<Campaign[]> {
      const rows = await db.select().from(campaigns).orderBy(desc(campaigns.createdAt)).limit(limit);
      return rows.map(toCampaign);
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

    /** Adds `delta` to the recorded total stock and raises the version by one. */
    async addStock(tx: Executor, id: string, delta: number): Promise<Campaign> {
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
