import { desc } from 'drizzle-orm';
import type { RunReport } from '../reconcile/report.ts';
import type { Executor } from './client.ts';
import { reconciliationRuns } from './schema.ts';

export function createRunsRepo(db: Executor) {
  return {
    /** Stores a finished run; returns its id. */
    async insert(report: RunReport, campaignId: string | null): Promise<number> {
      const [row] = await db
        .insert(reconciliationRuns)
        .values({
          trigger: report.trigger,
          campaignId,
          startedAt: new Date(report.startedAt),
          finishedAt: new Date(report.finishedAt),
          ok: report.ok,
          report,
        })
        .returning({ id: reconciliationRuns.id });
      return row!.id;
    },

    async recent(limit: number) {
      const rows = await db
        .select()
        .from(reconciliationRuns)
        .orderBy(desc(reconciliationRuns.id))
        .limit(limit);
      return rows.map((r) => ({ ...(r.report as RunReport), runId: r.id }));
    },
  };
}

export type RunsRepo = ReturnType<typeof createRunsRepo>;
