import type { Queue } from 'bullmq';
import type { Config } from '../config.ts';
import { createDatabase, type Database } from '../db/client.ts';
import { createPersistQueue, type PersistJob } from '../queue/persist.queue.ts';
import { createReconcileQueue } from '../reconcile/scheduler.ts';
import { createClusterClient, type RedisClient } from '../redis/connections.ts';
import { queuePrefix } from '../redis/keys.ts';
import { createClusterRouter, createStandaloneRouter, type RedisRouter } from '../redis/router.ts';
import type { Logger } from '../shared/logger.ts';

/** Every connection one process holds. Created here and nowhere else; closed in reverse order. */
export interface Clients {
  /** The Redis masters, and which one serves a key (one server, or a cluster's masters). */
  router: RedisRouter;
  /**
   * BullMQ's and publishing's connection: the background connection of the one server, or a cluster
   * client that follows the cluster's own routing (the queue's keys share one hash tag).
   */
  shared: RedisClient;
  /** Where the sold-out announcements are heard. */
  subscriberTarget: { url: string } | { clusterNodes: string };
  db: Database;
  persistQueue: Queue<PersistJob>;
  reconcileQueue: Queue;
  /** BullMQ prefix of both queues (a hash tag of its own). */
  queuePrefix: string;
  close(): Promise<void>;
}

export function createClients(config: Config, log: Logger, opts: { dbPoolSize?: number } = {}): Clients {
  const db = createDatabase(config.DATABASE_URL, {
    max: opts.dbPoolSize ?? config.PG_POOL_MAX,
    name: `flashsale-${config.ROLE}`,
  });
  // In replica mode a WAIT holds the connection for up to ACK_TIMEOUT_MS (Redis answers nothing else on
  // it meanwhile): that is not silence, so the bound on silence is longer than the WAIT's.
  const commandTimeoutMs =
    config.ACK_DURABILITY === 'replica'
      ? Math.max(config.REDIS_COMMAND_TIMEOUT_MS, config.ACK_TIMEOUT_MS + 250)
      : config.REDIS_COMMAND_TIMEOUT_MS;
  const routerOpts = { commandTimeoutMs, log };
  const clusterNodes = config.REDIS_CLUSTER_NODES;
  const router = clusterNodes
    ? createClusterRouter(clusterNodes, routerOpts)
    : createStandaloneRouter(config.REDIS_URL, routerOpts);
  const shared = clusterNodes
    ? createClusterClient(clusterNodes, log, 'shared')
    : router.masters()[0]!.background;
  const prefix = queuePrefix(config.REDIS_PREFIX);
  const persistQueue = createPersistQueue(shared, prefix);
  const reconcileQueue = createReconcileQueue(shared, prefix);
  for (const [name, queue] of [
    ['persist', persistQueue],
    ['reconcile', reconcileQueue],
  ] as const) {
    queue.on('error', (err) => log.warn('queue error', { queue: name, err }));
  }
  return {
    router,
    shared,
    subscriberTarget: clusterNodes ? { clusterNodes } : { url: config.REDIS_URL },
    db,
    persistQueue,
    reconcileQueue,
    queuePrefix: prefix,
    async close() {
      await persistQueue.close();
      await reconcileQueue.close();
      if (clusterNodes) await shared.quit().catch(() => shared.disconnect());
      await router.close();
      await db.close();
    },
  };
}
