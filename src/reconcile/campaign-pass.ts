import { campaignNotFound } from '../campaign/campaign.read.ts';
import { lockCampaignForReconcile } from '../db/locks.ts';
import { campaignKeys } from '../redis/keys.ts';
import { emptyRepairs, type PassContext, type ReconcilerDeps, type Step } from './context.ts';
import type { CampaignReport } from './report.ts';
import { checkCounters } from './steps/counters.ts';
import { syncDefinition } from './steps/definition.ts';
import { summarize } from './steps/drained.ts';
import { checkLedger } from './steps/ledger.ts';
import { recoverOrphans } from './steps/orphans.ts';
import { settlePending } from './steps/pending.ts';
import { checkPerUser } from './steps/per-user.ts';
import { reportRefused } from './steps/refused.ts';
import { restoreLostState } from './steps/restore.ts';
import { recordStockJournal } from './steps/stock-journal.ts';

/** A campaign's pass, step by step; each step is a small module over the pass' context. */
const STEPS: readonly Step[] = [
  restoreLostState, // 1. Redis lost the campaign, came back behind, changed run, or a rebuild was cut short
  syncDefinition, // 2. Redis holds another definition than Postgres
  recordStockJournal, // 3. stock changes Redis applied that Postgres never recorded
  checkCounters, // 4. one atomic read of the counters: I2, I1, the total; no claim lost (I4)
  settlePending, // 5. pending claims past the grace period (I4)
  recoverOrphans, // 6. records neither pending nor refused (I4)
  reportRefused, // 7. claims Postgres refused to store
  checkPerUser, // 8. per-user limits in Redis (I3, incrementally) and Postgres (I5)
  checkLedger, // 9. the ledger's count against the rows
];

/**
 * Reconciles one campaign inside a Postgres transaction that takes the campaign's advisory lock and holds
 * its row, so two passes over one campaign (from any processes) run one after the other.
 */
export function reconcileCampaign(
  deps: ReconcilerDeps & { now: () => number },
  id: string,
  tag: string,
): Promise<CampaignReport> {
  return deps.database.transaction(async (tx) => {
    const started = deps.now();
    deps.log.debug('reconcile: waiting for the campaign lock', { campaignId: id });
    await lockCampaignForReconcile(tx, id);
    const campaign = await deps.repos.campaigns.lock(tx, id);
    if (!campaign) throw campaignNotFound(id);
    deps.log.debug('reconcile: campaign locked', { campaignId: id });
    const keys = campaignKeys(deps.keyPrefix, id);
    const node = deps.redis.nodeFor(keys.meta);
    const ctx: PassContext = {
      deps,
      id,
      keys,
      tx,
      redis: node.background,
      serverRun: node.backgroundRun,
      tag,
      campaign,
      live: null,
      found: null,
      persistedUpTo: 0,
      repairs: emptyRepairs(),
      violations: [],
    };
    for (const step of STEPS) await step(ctx);
    return summarize(ctx, started);
  });
}
