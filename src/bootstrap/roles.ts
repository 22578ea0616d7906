import type { Worker } from 'bullmq';
import { createApp } from '../http/app.ts';
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
    adminToken: config.ADMIN_TOKEN,
    jwtSecret: config.JWT_SECRET,
    ratePerSecond: config.RATE_LIMIT_PER_SECOND,
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
    redis: clients.background,
    keyPrefix: config.REDIS_PREFIX,
    log: services.log,
    connection: clients.background,
    queuePrefix: clients.queuePrefix,
    concurrency: config.WORKER_CONCURRENCY,
    batchMax: config.PERSIST_BATCH_MAX,
    ...overrides,
  });
}

/** The scheduled reconciler (where workers run): every RECONCILE_EVERY_MS, one process takes each pass. */
export function startScheduler(services: Services) {
  return startReconcileScheduler({
    queue: services.clients.reconcileQueue,
    connection: services.clients.background,
    everyMs: services.config.RECONCILE_EVERY_MS,
    reconciler: services.reconciler,
    log: services.log,
  });
}
