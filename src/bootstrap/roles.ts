import type { Worker } from 'bullmq';
import { createApp } from '../http/app.ts';
import { createBaseApp } from '../http/base.ts';
import { createAuthFailureLimiter } from '../http/middleware/auth-failures.ts';
import { createOverview } from '../ops/overview.ts';
import type { PersistJob } from '../queue/persist.queue.ts';
import { startReconcileScheduler } from '../reconcile/scheduler.ts';
import { createPersistWorker, type PersistDeps } from '../worker/persist.worker.ts';
import { readinessOf } from './readiness.ts';
import type { Services } from './services.ts';

/** The HTTP app of one process, over its services. */
export function createHttpApp(services: Services, accepting: () => boolean = () => true) {
  const { config } = services;
  return createApp({
    claims: services.claims,
    campaigns: services.campaigns,
    admin: services.admin,
    stock: services.stock,
    reconciler: services.reconciler,
    readiness: readinessOf(services.clients, accepting),
    log: services.log,
    metrics: services.metrics,
    claimLogSampling: config.ACCESS_LOG_CLAIMS,
    adminToken: config.ADMIN_TOKEN,
    serviceToken: config.SERVICE_TOKEN,
    coupons: services.coupons,
    bundles: services.bundles,
    bundleAdmin: services.bundleAdmin,
    outcomes: services.outcomes,
    overview: createOverview({
      campaigns: services.campaigns,
      tally: services.outcomes,
      redis: services.clients.router,
      keyPrefix: config.REDIS_PREFIX,
      queue: services.clients.persistQueue,
    }),
    jwtSecret: config.JWT_SECRET,
    ratePerSecond: config.RATE_LIMIT_PER_SECOND,
    trustProxyHops: config.TRUST_PROXY_HOPS,
    ...(config.AUTH_FAILURES_PER_MINUTE > 0
      ? {
          authFailures: createAuthFailureLimiter(
            services.clients.shared,
            config.REDIS_PREFIX,
            config.AUTH_FAILURES_PER_MINUTE,
          ),
        }
      : {}),
  });
}

/** What the worker role serves on its port: the operations routes alone (/healthz, /readyz, /metrics). */
export function createOpsApp(services: Services, accepting: () => boolean = () => true) {
  return createBaseApp({
    readiness: readinessOf(services.clients, accepting),
    log: services.log,
    metrics: services.metrics,
  });
}

/** A persist worker on this process' services (its own settings; tests may swap the repository). */
export function startPersistWorker(
  services: Services,
  overrides: Partial<PersistDeps> = {},
): Worker<PersistJob> {
  const { config, clients } = services;
  return createPersistWorker({
    repo: services.repos.claims,
    redis: clients.router,
    keyPrefix: config.REDIS_PREFIX,
    log: services.log,
    metrics: services.metrics,
    connection: clients.shared,
    queuePrefix: clients.queuePrefix,
    concurrency: config.WORKER_CONCURRENCY,
    batchMax: config.PERSIST_BATCH_MAX,
    onBehind: (campaignId) => void services.restorer.restoreIfKnown(campaignId),
    ...overrides,
  });
}

/**
 * The scheduled reconciler (where workers run): every RECONCILE_EVERY_MS, one process takes each pass.
 * And when the Redis server changes run (a restart, a failover), a pass at once: every campaign is then
 * fenced, and the pass verifies (or rebuilds) each of them instead of waiting for its first claim.
 */
export async function startScheduler(services: Services) {
  const scheduler = await startReconcileScheduler({
    queue: services.clients.reconcileQueue,
    connection: services.clients.shared,
    everyMs: services.config.RECONCILE_EVERY_MS,
    reconciler: services.reconciler,
    log: services.log,
  });
  services.clients.router.onServerRunChange((node, runId, previous) => {
    if (previous === null) return;
    services.log.warn('a redis server changed run; verifying every campaign against postgres', {
      node: node.address,
      runId,
      previous,
    });
    scheduler.ensure().catch((err: unknown) => services.log.warn('reconcile schedule not checked', { err }));
    services.reconciler
      .run({ trigger: 'recovery' })
      .catch((err: unknown) => services.log.warn('recovery pass failed', { err }));
  });
  return scheduler;
}
