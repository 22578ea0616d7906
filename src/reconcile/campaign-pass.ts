import { campaignNotFound } from '../campaign/campaign.read.ts';
import { lockCampaignForReconcile } from '../db/locks.ts';
import { allBucketKeys } from '../redis/keys.ts';
import { emptyRepairs, type PassContext, type ReconcilerDeps, type Step } from './context.ts';
import type { CampaignReport, Violation } from './report.ts';
import { checkCounters } from './steps/counters.ts';
import { syncDefinition } from './steps/definition.ts';
import { summarize } from './steps/drained.ts';
import { resolveHolds } from './steps/holds.ts';
import { checkLedger } from './steps/ledger.ts';
import { settleLifecycle } from './steps/lifecycle.ts';
import { recoverOrphans } from './steps/orphans.ts';
import { settlePending } from './steps/pending.ts';
import { checkPerUserInPostgres, checkPerUserInRedis } from './steps/per-user.ts';
import { reportRefused } from './steps/refused.ts';
import { settleReservations } from './steps/reservations.ts';
import { restoreLostState } from './steps/restore.ts';
import { recordStockJournal } from './steps/stock-journal.ts';

/** A bucket's pass, step by step (a campaign without buckets is one bucket); each a small module. */
const BUCKET_STEPS: readonly Step[] = [
  restoreLostState, // 1. Redis lost the bucket, came back behind, changed run, or a rebuild was cut short
  syncDefinition, // 2. Redis holds another definition than Postgres
  recordStockJournal, // 3. stock changes Redis applied that Postgres never recorded; the bucket's total
  checkCounters, // 4. one atomic read of the counters: I2, I1, the total; no claim lost (I4)
  settlePending, // 5. pending claims past the grace period (I4)
  recoverOrphans, // 6. records neither pending nor refused (I4)
  reportRefused, // 7. claims Postgres refused to store
  resolveHolds, // 8. holds left past their deadline at users' home buckets
  settleReservations, // 8b. gift-pack reservations left past their deadline
  checkPerUserInRedis, // 9. per-user limits in Redis (I3, incrementally)
];

/** Then once for the campaign. */
const CAMPAIGN_STEPS: readonly Step[] = [
  settleLifecycle, // 10. coupons past their expiry; units given back in Postgres but not yet in Redis
  checkPerUserInPostgres, // 11. per-user limits in Postgres (I5)
  checkLedger, // 12. the ledger's count against the rows
];

/** Violations found in a bucket of a campaign with several say which. */
const tagBucket = (violations: Violation[], from: number, bucket: number) => {
  for (const v of violations.slice(from)) v.values = { bucket, ...v.values };
};

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
    let campaign = await deps.repos.campaigns.lock(tx, id);
    if (!campaign) throw campaignNotFound(id);
    deps.log.debug('reconcile: campaign locked', { campaignId: id });
    const allKeys = allBucketKeys(deps.keyPrefix, id, campaign.buckets);
    const repairs = emptyRepairs();
    const violations: Violation[] = [];
    const passes: PassContext[] = [];
    for (const keys of allKeys) {
      const node = deps.redis.nodeFor(keys.meta);
      const ctx: PassContext = {
        deps,
        id,
        keys,
        allKeys,
        bucketTotal: campaign.totalStock,
        tx,
        redis: node.background,
        serverRun: node.backgroundRun,
        tag,
        campaign,
        live: null,
        found: null,
        persistedUpTo: 0,
        returningUpTo: 0,
        repairs,
        violations,
      };
      const before = violations.length;
      for (const step of BUCKET_STEPS) await step(ctx);
      if (allKeys.length > 1) tagBucket(violations, before, keys.bucket);
      campaign = ctx.campaign;
      passes.push(ctx);
    }
    const last = passes[passes.length - 1]!;
    last.campaign = campaign;
    for (const step of CAMPAIGN_STEPS) await step(last);
    return summarize(passes, started);
  });
}
