import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type CampaignAdmin, createCampaignAdmin } from './campaign/campaign.admin.ts';
import { type CampaignLoader, createCampaignLoader } from './campaign/campaign.loader.ts';
import { type CampaignService, createCampaignService } from './campaign/campaign.service.ts';
import { type ClaimService, createClaimService } from './claim/claim.service.ts';
import { createSoldOutCache, type SoldOutCache } from './claim/sold-out.ts';
import type { Config } from './config.ts';
import { type CampaignsRepo, createCampaignsRepo } from './db/campaigns.repo.ts';
import { type ChangesRepo, createChangesRepo } from './db/changes.repo.ts';
import { type ClaimsRepo, createClaimsRepo } from './db/claims.repo.ts';
import { createDatabase, type Database } from './db/client.ts';
import { createRunsRepo, type RunsRepo } from './db/runs.repo.ts';
import { createApp } from './http/app.ts';
import type { Readiness } from './http/routes/health.routes.ts';
import {
  createPersistProducer,
  createPersistQueue,
  type PersistJob,
  type PersistProducer,
} from './queue/persist.queue.ts';
import { createReconciler, type Reconciler } from './reconcile/reconciler.ts';
import { createBackgroundRedis, createCommandRedis, createSubscriber } from './redis/connections.ts';
import { createRedisGate, type RedisGate } from './redis/gate.ts';
import { campaignChangedChannel, queuePrefix } from './redis/keys.ts';
import type { Logger } from './shared/logger.ts';
import { createPersistWorker, type PersistDeps } from './worker/persist.worker.ts';

/** Everything one process needs, created in one place and closed in reverse order. */
export interface Services {
  config: Config;
  log: Logger;
  db: Database;
  /** Request-path connection: fails fast when Redis is away. */
  redis: RedisGate;
  /** Background connection (queue producer, worker bookkeeping): waits for Redis to come back. */
  backgroundRedis: Redis;
  queue: Queue<PersistJob>;
  queuePrefix: string;
  repos: { campaigns: CampaignsRepo; claims: ClaimsRepo; changes: ChangesRepo; runs: RunsRepo };
  loader: CampaignLoader;
  producer: PersistProducer;
  claims: ClaimService;
  campaigns: CampaignService;
  admin: CampaignAdmin;
  reconciler: Reconciler;
  soldOut: SoldOutCache;
  /** Announces on pub/sub that a campaign changed, and drops this instance's snapshot of it at once. */
  announce(campaignId: string): Promise<void>;
  close(): Promise<void>;
}

export function createServices(config: Config, log: Logger, opts: { dbPoolSize?: number } = {}): Services {
  const db = createDatabase(config.DATABASE_URL, {
    max: opts.dbPoolSize ?? 10,
    name: `flashsale-${config.ROLE}`,
  });
  const redis = createRedisGate(createCommandRedis(config.REDIS_URL, log), config.REDIS_COMMAND_TIMEOUT_MS);
  const backgroundRedis = createBackgroundRedis(config.REDIS_URL, log, 'background');
  const prefix = queuePrefix(config.REDIS_PREFIX);
  const queue = createPersistQueue(backgroundRedis, prefix);
  queue.on('error', (err) => log.warn('persist queue error', { err }));
  const repos = {
    campaigns: createCampaignsRepo(db.db),
    claims: createClaimsRepo(db),
    changes: createChangesRepo(db.db),
    runs: createRunsRepo(db.db),
  };
  const soldOut = createSoldOutCache({
    redis,
    keyPrefix: config.REDIS_PREFIX,
    ttlMs: config.SOLD_OUT_CACHE_MS,
    maxWinners: config.SOLD_OUT_CACHE_MAX_WINNERS,
    log,
  });
  const channel = campaignChangedChannel(config.REDIS_PREFIX);
  const subscriber = createSubscriber(
    config.REDIS_URL,
    log,
    channel,
    (campaignId) => soldOut.invalidate(campaignId),
    () => soldOut.invalidate(),
  );
  const announce = async (campaignId: string) => {
    soldOut.invalidate(campaignId);
    await backgroundRedis.publish(channel, campaignId);
  };
  const producer = createPersistProducer({
    queue,
    batchMax: config.ENQUEUE_BATCH_MAX,
    flushMs: config.ENQUEUE_FLUSH_MS,
    log,
  });
  const reconciler = createReconciler({
    database: db,
    redis: backgroundRedis,
    keyPrefix: config.REDIS_PREFIX,
    repos,
    producer,
    queue,
    graceMs: config.PENDING_GRACE_MS,
    settleMs: config.REBUILD_SETTLE_MS,
    idempotencyTtlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
    lookbackMs: config.RECONCILE_LOOKBACK_MS,
    log,
    announce,
  });
  const loader = createCampaignLoader({
    campaigns: repos.campaigns,
    log,
    restore: (campaignId) => reconciler.run({ trigger: 'recovery', campaignId }),
  });
  const claims = createClaimService({
    redis,
    keyPrefix: config.REDIS_PREFIX,
    idempotencyTtlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
    producer,
    campaignMissing: loader.campaignMissing,
    soldOut,
  });
  const campaigns = createCampaignService({
    redis,
    keyPrefix: config.REDIS_PREFIX,
    campaigns: repos.campaigns,
    claims: repos.claims,
    loader,
    queue,
  });
  const admin = createCampaignAdmin({
    database: db,
    redis,
    keyPrefix: config.REDIS_PREFIX,
    campaigns: repos.campaigns,
    changes: repos.changes,
    loader,
    announce,
  });

  return {
    config,
    log,
    db,
    redis,
    backgroundRedis,
    queue,
    queuePrefix: prefix,
    repos,
    loader,
    producer,
    claims,
    campaigns,
    admin,
    reconciler,
    soldOut,
    announce,
    async close() {
      await producer.drain();
      await loader.settle();
      await queue.close();
      redis.client.disconnect();
      subscriber.disconnect();
      await backgroundRedis.quit().catch(() => backgroundRedis.disconnect());
      await db.close();
    },
  };
}

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref()),
  ]);

export function readinessOf(services: Services, accepting: () => boolean): Readiness {
  return {
    accepting,
    async check() {
      const [redis, postgres] = await Promise.all([
        withTimeout(services.redis.client.ping(), 500).then(
          () => true,
          () => false,
        ),
        withTimeout(services.db.sql`select 1`, 1_000).then(
          () => true,
          () => false,
        ),
      ]);
      return { redis, postgres };
    },
  };
}

export function createHttpApp(services: Services, accepting: () => boolean = () => true) {
  const { config } = services;
  return createApp({
    claims: services.claims,
    campaigns: services.campaigns,
    admin: services.admin,
    reconciler: services.reconciler,
    runs: services.repos.runs,
    readiness: readinessOf(services, accepting),
    log: services.log,
    adminToken: config.ADMIN_TOKEN,
    jwtSecret: config.JWT_SECRET,
    ratePerSecond: config.RATE_LIMIT_PER_SECOND,
  });
}

/** A persist worker on this process' services (its own settings; tests may swap the repository). */
export function createPersistWorkerFor(
  services: Services,
  overrides: Partial<PersistDeps> = {},
): Worker<PersistJob> {
  const { config } = services;
  return createPersistWorker({
    repo: services.repos.claims,
    redis: services.backgroundRedis,
    keyPrefix: config.REDIS_PREFIX,
    log: services.log,
    connection: services.backgroundRedis,
    queuePrefix: services.queuePrefix,
    concurrency: config.WORKER_CONCURRENCY,
    batchMax: config.PERSIST_BATCH_MAX,
    ...overrides,
  });
}
