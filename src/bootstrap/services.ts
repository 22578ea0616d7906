import { type BundleAdmin, createBundleAdmin } from '../bundle/bundle.admin.ts';
import { type BundleService, createBundleService } from '../bundle/bundle.service.ts';
import { type CampaignAdmin, createCampaignAdmin } from '../campaign/campaign.admin.ts';
import { type CampaignReader, createCampaignReader } from '../campaign/campaign.read.ts';
import { type CampaignRestorer, createCampaignRestorer } from '../campaign/campaign.restore.ts';
import { type CampaignStock, createCampaignStock } from '../campaign/campaign.stock.ts';
import type { Acknowledger } from '../claim/acknowledge.ts';
import { type ClaimService, createClaimService } from '../claim/claim.service.ts';
import type { SoldOutCache } from '../claim/sold-out.ts';
import type { Config } from '../config.ts';
import { type CouponService, createCouponService } from '../coupon/coupon.service.ts';
import { type BundlesRepo, createBundlesRepo } from '../db/bundles.repo.ts';
import { type CampaignsRepo, createCampaignsRepo } from '../db/campaigns.repo.ts';
import { type ChangesRepo, createChangesRepo } from '../db/changes.repo.ts';
import { type ClaimsRepo, createClaimsRepo } from '../db/claims.repo.ts';
import type { Database } from '../db/client.ts';
import { type CouponsRepo, createCouponsRepo } from '../db/coupons.repo.ts';
import { createRunsRepo, type RunsRepo } from '../db/runs.repo.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { createOutcomeTally, type OutcomeTally } from '../ops/outcomes.ts';
import { createPersistProducer, type PersistProducer } from '../queue/persist.queue.ts';
import { createReconciler, type Reconciler } from '../reconcile/reconciler.ts';
import type { Logger } from '../shared/logger.ts';
import { acknowledgerFor } from './acknowledger.ts';
import { soldOutWithAnnouncements } from './announcements.ts';
import { type Clients, createClients } from './clients.ts';
import { registerStateMetrics } from './metrics.ts';

export interface Repos {
  campaigns: CampaignsRepo;
  claims: ClaimsRepo;
  changes: ChangesRepo;
  runs: RunsRepo;
  coupons: CouponsRepo;
  bundles: BundlesRepo;
}

/** Everything one process needs: its clients, its repositories and its services, wired once. */
export interface Services {
  config: Config;
  log: Logger;
  /** This process' metrics (/metrics on every role). */
  metrics: Metrics;
  clients: Clients;
  repos: Repos;
  producer: PersistProducer;
  acknowledger: Acknowledger;
  claims: ClaimService;
  campaigns: CampaignReader;
  admin: CampaignAdmin;
  stock: CampaignStock;
  coupons: CouponService;
  bundles: BundleService;
  bundleAdmin: BundleAdmin;
  reconciler: Reconciler;
  restorer: CampaignRestorer;
  soldOut: SoldOutCache;
  /** Claim outcomes counted here and summed in Redis (the dashboard's mix). */
  outcomes: OutcomeTally;
  /** Announces on pub/sub that a campaign changed, and drops this instance's snapshot of it at once. */
  announce(campaignId: string): Promise<void>;
  /** Flushes buffered claims to the queue, waits for restores, then closes every connection. */
  close(): Promise<void>;
}

function createRepos(db: Database): Repos {
  return {
    campaigns: createCampaignsRepo(db.db),
    claims: createClaimsRepo(db),
    changes: createChangesRepo(db.db),
    runs: createRunsRepo(db.db),
    coupons: createCouponsRepo(db),
    bundles: createBundlesRepo(db.db),
  };
}

function reconcilerFor(
  config: Config,
  log: Logger,
  metrics: Metrics,
  clients: Clients,
  repos: Repos,
  producer: PersistProducer,
  announce: (campaignId: string) => Promise<void>,
): Reconciler {
  return createReconciler({
    database: clients.db,
    redis: clients.router,
    keyPrefix: config.REDIS_PREFIX,
    repos,
    producer,
    queue: clients.persistQueue,
    graceMs: config.PENDING_GRACE_MS,
    settleMs: config.REBUILD_SETTLE_MS,
    holdMs: config.BUCKET_HOLD_MS,
    idempotencyTtlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
    lookbackMs: config.RECONCILE_LOOKBACK_MS,
    log,
    metrics,
    announce,
  });
}

/** How often an instance adds its claim outcome counts to the shared sums in Redis. */
const OUTCOME_FLUSH_MS = 1_000;

/** The one bootstrap: creates every client and service of a process (nothing else opens connections). */
export function createServices(config: Config, log: Logger, opts: { dbPoolSize?: number } = {}): Services {
  const clients = createClients(config, log, opts);
  const { router: redis, db } = clients;
  const keyPrefix = config.REDIS_PREFIX;
  const repos = createRepos(db);
  const metrics = createMetrics();
  const { soldOut, directory, announce, close: unsubscribe } = soldOutWithAnnouncements(config, log, clients);
  const producer = createPersistProducer({
    queue: clients.persistQueue,
    batchMax: config.ENQUEUE_BATCH_MAX,
    flushMs: config.ENQUEUE_FLUSH_MS,
    log,
  });
  const reconciler = reconcilerFor(config, log, metrics, clients, repos, producer, announce);
  const restorer = createCampaignRestorer({
    campaigns: repos.campaigns,
    log,
    restore: (campaignId) => reconciler.run({ trigger: 'recovery', campaignId }),
  });
  const { restoreIfKnown } = restorer;
  const onBehind = (campaignId: string) => void restoreIfKnown(campaignId);
  const acknowledger = acknowledgerFor(config, log, metrics, clients, repos, producer, onBehind);
  const operator = {
    database: db,
    redis,
    keyPrefix,
    campaigns: repos.campaigns,
    changes: repos.changes,
    announce,
  };
  const ttl = config.IDEMPOTENCY_TTL_SECONDS;
  const outcomes = createOutcomeTally({ redis, keyPrefix, log });
  outcomes.start(OUTCOME_FLUSH_MS);
  const campaigns = createCampaignReader({
    ...operator,
    claims: repos.claims,
    restoreIfKnown,
    queue: clients.persistQueue,
  });
  registerStateMetrics(metrics, {
    clients,
    campaigns: repos.campaigns,
    claims: repos.claims,
    reader: campaigns,
    log,
  });
  return {
    config,
    log,
    metrics,
    clients,
    repos,
    producer,
    acknowledger,
    claims: createClaimService({
      redis,
      keyPrefix,
      idempotencyTtlSeconds: ttl,
      acknowledger,
      restoreIfKnown,
      soldOut,
      directory,
      holdMs: config.BUCKET_HOLD_MS,
      storedOfUser: repos.coupons.ofUser,
      rate: {
        userPerSecond: config.RATE_LIMIT_PER_SECOND,
        addressPerSecond: config.RATE_LIMIT_ADDRESS_PER_SECOND,
      },
    }),
    campaigns,
    admin: createCampaignAdmin({ ...operator, noteCreated: restorer.noteCreated }),
    stock: createCampaignStock({ ...operator, restoreIfKnown }),
    coupons: createCouponService({
      redis,
      keyPrefix,
      campaigns: repos.campaigns,
      claims: repos.claims,
      coupons: repos.coupons,
      announce,
      log,
      metrics,
    }),
    bundles: createBundleService({
      redis,
      keyPrefix,
      bundles: repos.bundles,
      acknowledger,
      restoreIfKnown,
      announce,
      holdMs: config.BUNDLE_HOLD_MS,
      idempotencyTtlSeconds: ttl,
      log,
      soldOut,
    }),
    bundleAdmin: createBundleAdmin({ bundles: repos.bundles }),
    reconciler,
    restorer,
    soldOut,
    outcomes,
    announce,
    async close() {
      await outcomes.close();
      await acknowledger.drain();
      await producer.drain();
      await restorer.settle();
      unsubscribe();
      await clients.close();
    },
  };
}
