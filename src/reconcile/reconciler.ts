import { AppError, UnavailableError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { reconcileCampaign } from './campaign-pass.ts';
import { emptyRepairs, type ReconcilerDeps } from './context.ts';
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
/** Builds the run's report, stores it in reconciliation_runs and logs its outcome. */
async function storeRun(
  deps: ReconcilerDeps & { now: () => number },
  opts: { trigger: Trigger; campaignId?: string | undefined },
  run: { startedAt: number; interrupted: boolean; campaigns: CampaignReport[] },
): Promise<RunReport> {
  const finishedAt = deps.now();
  const report: RunReport = {
    runId: null,
    trigger: opts.trigger,
    startedAt: new Date(run.startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    durationMs: finishedAt - run.startedAt,
    ok: true,
    interrupted: run.interrupted,
    campaigns: run.campaigns,
  };
  const left = unrepaired(report).length;
  report.ok = left === 0;
  deps.metrics?.reconciled(report);
  report.runId = await deps.repos.runs.insert({
    trigger: report.trigger,
    campaignId: opts.campaignId ?? null,
    startedAt: new Date(run.startedAt),
    finishedAt: new Date(finishedAt),
    ok: report.ok,
    report,
  });
  deps.log[report.ok ? 'info' : 'warn']('reconciliation finished', {
    runId: report.runId,
    trigger: opts.trigger,
    campaigns: run.campaigns.length,
    unrepaired: left,
    interrupted: run.interrupted,
    durationMs: report.durationMs,
  });
  return report;
}

/**
 * One campaign's pass failed: that campaign's report says so and the pass goes on with the others. An
 * outage (nothing can be reconciled) and an unknown campaign someone asked for by id stay errors.
 */
function failedPass(deps: ReconcilerDeps, campaignId: string, err: unknown, asked: boolean): CampaignReport {
  if (err instanceof UnavailableError || (asked && err instanceof AppError)) throw err;
  deps.log.error('reconciling a campaign failed; the pass goes on', { campaignId, err });
  return {
    campaignId,
    durationMs: 0,
    redis: { totalStock: 0, remaining: 0, claimed: 0, claimRecords: 0, pending: 0 },
    postgres: { totalStock: 0, persisted: 0 },
    repairs: emptyRepairs(),
    violations: [
      {
        invariant: 'error',
        message: `the pass failed for this campaign: ${err instanceof Error ? err.message : String(err)}`,
        values: {},
        repaired: false,
      },
    ],
    drained: false,
  };
}

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
    const changed = r.rebuilt || r.definitionSynced || r.countersFixed || r.stockChangesRecorded > 0;
    // Reservations given back return stock: sold-out snapshots of the campaign are stale.
    if (!(changed || r.reservationsSettled > 0)) return;
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
      /** The request that asked for the pass (admin endpoint): carried into the pass' log lines. */
      requestId?: string | undefined;
    }): Promise<RunReport> {
      const startedAt = deps.now();
      const tag = uuidv7(startedAt).replaceAll('-', '');
      const run = { ...deps, log: deps.log.child({ reconcileRun: tag, requestId: opts.requestId }) };
      const ids = opts.campaignId
        ? [opts.campaignId]
        : await repos.campaigns.recentIds(new Date(startedAt - deps.lookbackMs));
      const campaigns: CampaignReport[] = [];
      for (const id of ids) {
        if (opts.signal?.aborted) break;
        const report = await oneAtATime(() => reconcileCampaign(run, id, tag)).catch((err: unknown) =>
          failedPass(run, id, err, opts.campaignId !== undefined),
        );
        campaigns.push(report);
        await announceRepairs(report);
      }
      return storeRun(run, opts, { startedAt, interrupted: campaigns.length < ids.length, campaigns });
    },

    /** The most recent reports, newest first. */
    async recentRuns(limit: number): Promise<RunReport[]> {
      const rows = await repos.runs.recent(limit);
      return rows.map((r) => ({ ...(r.report as RunReport), runId: r.id }));
    },
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;
