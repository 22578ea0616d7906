import { uuidv7 } from '../claim/ids.ts';
import { reconcileCampaign } from './campaign-pass.ts';
import type { ReconcilerDeps } from './context.ts';
import { type CampaignReport, type RunReport, unrepaired } from './report.ts';

export type { ReconcilerDeps } from './context.ts';
export type Trigger = RunReport['trigger'];

/**
 * One reconciliation pass, behind every door (scheduler, admin endpoint, CLI, automatic recovery).
 * Safe by construction when two run at once: each campaign is reconciled inside a Postgres transaction
 * that takes a per-campaign advisory lock and holds the campaign row, so two passes over one campaign
 * run one after the other; every repair is idempotent, and a requeued claim is re-stamped in the pending
 * set so the next pass leaves it to its job for another grace period.
 */
export function createReconciler(input: ReconcilerDeps) {
  const deps = { ...input, now: input.now ?? Date.now };
  const { repos } = deps;
  // One campaign pass at a time in this process: a pass holds a transaction (one pooled connection)
  // and needs another for its queries, so passes waiting on the advisory lock must not pile up and
  // drain the pool. Other processes are serialised by the advisory lock itself.
  let queue: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => {});
    return next;
  };

  const announceRepairs = async (report: CampaignReport) => {
    const r = report.repairs;
    if (!(r.rebuilt || r.definitionSynced || r.countersFixed || r.stockChangesRecorded > 0)) return;
    await deps
      .announce?.(report.campaignId)
      .catch((err: unknown) => deps.log.warn('announce failed', { campaignId: report.campaignId, err }));
  };

  return {
    /**
     * One pass. An aborted signal stops it between campaigns (each campaign is one transaction and every
     * repair is idempotent, so a partial pass is safe and the next one carries on); shutdown uses this.
     */
    async run(opts: {
      trigger: Trigger;
      campaignId?: string | undefined;
      signal?: AbortSignal;
    }): Promise<RunReport> {
      const startedAt = deps.now();
      const ids = opts.campaignId
        ? [opts.campaignId]
        : await repos.campaigns.recentIds(new Date(startedAt - deps.lookbackMs));
      const tag = uuidv7(startedAt).replaceAll('-', '');
      const campaigns: CampaignReport[] = [];
      for (const id of ids) {
        if (opts.signal?.aborted) break;
        const report = await oneAtATime(() => reconcileCampaign(deps, id, tag));
        campaigns.push(report);
        await announceRepairs(report);
      }
      const finishedAt = deps.now();
      const report: RunReport = {
        runId: null,
        trigger: opts.trigger,
        startedAt: new Date(startedAt).toISOString(),
        finishedAt: new Date(finishedAt).toISOString(),
        durationMs: finishedAt - startedAt,
        ok: true,
        interrupted: campaigns.length < ids.length,
        campaigns,
      };
      report.ok = unrepaired(report).length === 0;
      report.runId = await repos.runs.insert({
        trigger: report.trigger,
        campaignId: opts.campaignId ?? null,
        startedAt: new Date(startedAt),
        finishedAt: new Date(finishedAt),
        ok: report.ok,
        report,
      });
      deps.log[report.ok ? 'info' : 'warn']('reconciliation finished', {
        runId: report.runId,
        trigger: opts.trigger,
        campaigns: campaigns.length,
        unrepaired: unrepaired(report).length,
        interrupted: report.interrupted,
        durationMs: report.durationMs,
      });
      return report;
    },

    /** The most recent reports, newest first. */
    async recentRuns(limit: number): Promise<RunReport[]> {
      const rows = await repos.runs.recent(limit);
      return rows.map((r) => ({ ...(r.report as RunReport), runId: r.id }));
    },
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;
