import { eq, inArray } from 'drizzle-orm';
import type { Executor } from './client.ts';
import { guarded } from './outage.ts';
import { type BundleRow, bundles, campaigns } from './schema.ts';

export interface Bundle {
  id: string;
  name: string;
  campaignIds: string[];
  createdAt: Date;
}

const toBundle = (r: BundleRow): Bundle => ({
  id: r.id,
  name: r.name,
  campaignIds: r.campaignIds,
  createdAt: r.createdAt,
});

export function createBundlesRepo(db: Executor) {
  return guarded({
    /** Null when the id is taken. */
    async insert(def: Omit<Bundle, 'createdAt'>): Promise<Bundle | null> {
      const rows = await db.insert(bundles).values(def).onConflictDoNothing().returning();
      return rows[0] ? toBundle(rows[0]) : null;
    },

    async find(id: string): Promise<Bundle | null> {
      const rows = await db.select().from(bundles).where(eq(bundles.id, id));
      return rows[0] ? toBundle(rows[0]) : null;
    },

    /** How many stock buckets each of these campaigns has (unknown ones are missing from the map). */
    async bucketsOf(campaignIds: string[]): Promise<Map<string, number>> {
      const rows = await db
        .select({ id: campaigns.id, buckets: campaigns.buckets })
        .from(campaigns)
        .where(inArray(campaigns.id, campaignIds));
      return new Map(rows.map((r) => [r.id, r.buckets]));
    },
  });
}

export type BundlesRepo = ReturnType<typeof createBundlesRepo>;
