import { desc, eq } from 'drizzle-orm';
import type { CampaignDefinition } from '../campaign/campaign.ts';
import { sqlState } from '../shared/infra-errors.ts';
import type { Db } from './client.ts';
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

export function createCampaignsRepo(db: Db) {
  return {
    /** Inserts a new campaign; returns null when the id is taken. */
    async insert(def: Omit<CampaignDefinition, 'version' | 'paused'>): Promise<CampaignRow | null> {
      try {
        const [row] = await db.insert(campaigns).values(def).returning();
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

    async list(limit = 100): Promise<CampaignRow[]> {
      return db.select().from(campaigns).orderBy(desc(campaigns.createdAt)).limit(limit);
    },
  };
}

export type CampaignsRepo = ReturnType<typeof createCampaignsRepo>;
