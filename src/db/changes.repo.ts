import { desc, eq, inArray, sql } from 'drizzle-orm';
import { bucketShare } from '../domain/buckets.ts';
import type { StockEntry } from '../domain/stock.ts';
import type { Executor } from './client.ts';
import { guarded } from './outage.ts';
import { campaignChanges, stockAdjustments } from './schema.ts';

export interface ChangeRecord {
  campaignId: string;
  actor: string;
  action: 'create' | 'update' | 'pause' | 'resume' | 'stock';
  before: unknown;
  after: unknown;
  requestId?: string | undefined;
}

/** The operator audit log and the stock adjustment ledger. */
export function createChangesRepo(db: Executor) {
  return guarded({
    async record(tx: Executor, change: ChangeRecord): Promise<void> {
      await tx.insert(campaignChanges).values({ ...change, requestId: change.requestId ?? null });
    },

    async list(campaignId: string, limit = 100) {
      return db
        .select()
        .from(campaignChanges)
        .where(eq(campaignChanges.campaignId, campaignId))
        .orderBy(desc(campaignChanges.id))
        .limit(limit);
    },

    /** Records a stock change once; false when this adjustment id is already recorded. */
    async recordStock(
      tx: Executor,
      campaignId: string,
      entry: StockEntry,
      recordedBy: string,
    ): Promise<boolean> {
      const rows = await tx
        .insert(stockAdjustments)
        .values({
          id: entry.id,
          campaignId,
          delta: entry.delta,
          actor: entry.actor,
          totalBefore: entry.totalBefore,
          totalAfter: entry.totalAfter,
          remainingAfter: entry.remainingAfter,
          appliedAt: new Date(entry.at),
          recordedBy,
          bucket: entry.bucket ?? 0,
          adjustmentId: entry.group ?? entry.id,
        })
        .onConflictDoNothing()
        .returning({ id: stockAdjustments.id });
      return rows.length === 1;
    },

    /**
     * Each bucket's total stock as Postgres records it: its share of the stock the campaign was created
     * with, plus the changes recorded for it.
     */
    async bucketTotals(
      tx: Executor,
      campaignId: string,
      totalStock: number,
      buckets: number,
    ): Promise<number[]> {
      const rows = await tx
        .select({ bucket: stockAdjustments.bucket, delta: sql<number>`sum(${stockAdjustments.delta})::int` })
        .from(stockAdjustments)
        .where(eq(stockAdjustments.campaignId, campaignId))
        .groupBy(stockAdjustments.bucket);
      const changed = new Map(rows.map((r) => [r.bucket, Number(r.delta)]));
      const initial = totalStock - rows.reduce((n, r) => n + Number(r.delta), 0);
      return Array.from(
        { length: buckets },
        (_, b) => bucketShare(initial, buckets, b) + (changed.get(b) ?? 0),
      );
    },

    /** Which of these adjustment ids Postgres has recorded. */
    async recordedStock(tx: Executor, ids: string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await tx
        .select({ id: stockAdjustments.id })
        .from(stockAdjustments)
        .where(inArray(stockAdjustments.id, ids));
      return new Set(rows.map((r) => r.id));
    },
  });
}

export type ChangesRepo = ReturnType<typeof createChangesRepo>;
