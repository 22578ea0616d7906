import { desc } from 'drizzle-orm';
import type { Executor } from './client.ts';
import { guarded } from './outage.ts';
import { reconciliationRuns } from './schema.ts';

/** A reconciliation run as stored: a few columns to query by, and the report itself as JSON. */
export interface StoredRun {
  trigger: string;
  campaignId: string | null;
  startedAt: Date;
  finishedAt: Date;
  ok: boolean;
  report: unknown;
}

export function createRunsRepo(db: Executor) {
  return guarded({
    /** Stores a finished run; returns its id. */
    async insert(run: StoredRun): Promise<number> {
      const [row] = await db.insert(reconciliationRuns).values(run).returning({ id: reconciliationRuns.id });
      return row!.id;
    },

    /** The most recent runs' reports, newest first, with their ids. */
    async recent(limit: number): Promise<{ id: number; report: unknown }[]> {
      return db
        .select({ id: reconciliationRuns.id, report: reconciliationRuns.report })
        .from(reconciliationRuns)
        .orderBy(desc(reconciliationRuns.id))
        .limit(limit);
    },
  });
}

export type RunsRepo = ReturnType<typeof createRunsRepo>;
