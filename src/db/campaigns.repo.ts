import { desc, eq, gt, sql } from 'drizzle-orm';
import type { CampaignDefinition } from '../campaign/campaign.ts';
import { sqlState } from '../shared/infra-errors.ts';
import type { Executor } from './client.ts';
import { type CampaignRow, campaigns } from './schema.ts';

export function toDefinition(row: CampaignRow): CampaignDefinition {
  return {
    id: row.id,
    name: row.name,
    totalStock: row.totalStock,
    perUserLimit: row.perUserLimit,
    startsAt: row.startsAt,
    endsAt: row.endsAt,
    paused: row.paused,
    version: row.version,
  };
}

export type DefinitionChanges = Partial<Pick<CampaignRow, 'name' | 'startsAt' | 'endsAt' | 'paused'>>;

export function createCampaignsRepo(db: Executor) {
  return {
    /** Inserts a new campaign; returns null when the id is taken. */
    async insert(
      def: Omit<CampaignDefinition, 'version' | 'paused'>,
      tx: Executor = db,
    ): Promise<CampaignRow | null> {
      try {
        const [row] = await tx.insert(campaigns).values(def).returning();
        return row ?? null;
      } catch (err) {
        if (sqlState(err) === '23505') return null;
        throw err;
      }
    },

    async find(id: string): Promise<CampaignRow | null> {
      const [row] = await db.select().from(campaigns).where(eq(campaigns.id, id));
      return row ?? null;
    },

    /** Reads the row and holds it (FOR UPDATE) until the transaction ends: operator writes are serialised. */
    async lock(tx: Executor, id: string): Promise<CampaignRow | null> {
      const [row] = await tx.select().from(campaigns).where(eq(campaigns.id, id)).for('update');
      return row ?? null;
    },

    /** Reads the row and keeps writers out (FOR SHARE) until the transaction ends: the reconciler's view. */
    async share(tx: Executor, id: string): Promise<CampaignRow | null> {
      const [row] = await tx.select().from(campaigns).where(eq(campaigns.id, id)).for('share');
      return row ?? null;
    },

    async list(limit = 100): Promise<CampaignRow[]> {
      return db.select().from(campaigns).orderBy(desc(campaigns.createdAt)).limit(limit);
    },

    /** Campaigns the scheduled reconciler looks at: not ended, or ended within `sinceMs`. */
    async recent(since: Date): Promise<CampaignRow[]> {
      return db.select().from(campaigns).where(gt(campaigns.endsAt, since)).orderBy(campaigns.id);
    },

    /** Writes changed definition fields and raises the version by one. */
    async update(tx: Executor, id: string, changes: DefinitionChanges): Promise<CampaignRow> {
      const [row] = await tx
        .update(campaigns)
        .set({ ...changes, version: sql`${campaigns.version} + 1`, updatedAt: new Date() })
        .where(eq(campaigns.id, id))
        .returning();
      if (!row) throw new Error(`campaign ${id} vanished inside its transaction`);
      return row;
    },

    /** Adds `delta` to the recorded total stock and raises the version by one. */
    async addStock(tx: Executor, id: string, delta: number): Promise<CampaignRow> {
      const [row] = await tx
        .update(campaigns)
        .set({
          totalStock: sql`${campaigns.totalStock} + ${delta}`,
          version: sql`${campaigns.version} + 1`,
          updatedAt: new Date(),
        })
        .where(eq(campaigns.id, id))
        .returning();
      if (!row) throw new Error(`campaign ${id} vanished inside its transaction`);
      return row;
    },
  };
}

export type CampaignsRepo = ReturnType<typeof createCampaignsRepo>;
