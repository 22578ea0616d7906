import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { createDatabase, type Database } from '../db/client.ts';
import { createPersistQueue, type PersistJob } from '../queue/persist.queue.ts';
import { createReconcileQueue } from '../reconcile/scheduler.ts';
import { createBackgroundRedis, createCommandRedis } from '../redis/connections.ts';
import { createRedisGate, type RedisGate } from '../redis/gate.ts';
import { queuePrefix } from '../redis/keys.ts';
import { type ServerRun, trackServerRun } from '../redis/server-run.ts';
import type { Logger } from '../shared/logger.ts';

/** Every connection one process holds. Created here and nowhere else; closed in reverse order. */
export interface Clients {
  /** Request-path Redis: fails fast when Redis is away (the gate bounds every call). */
  redis: RedisGate;
  /** The run id of the server the request-path connection is attached to. */
  commandRun: ServerRun;
  /** Background Redis (queue producer, workers, reconciler): waits for Redis to come back. */
  background: Redis;
  /** The run id of the server the background connection is attached to (the fence). */
  backgroundRun: ServerRun;
  db: Database;
  persistQueue: Queue<PersistJob>;
  reconcileQueue: Queue;
  /** BullMQ prefix of both queues (a hash tag of its own). */
  queuePrefix: string;
  close(): Promise<void>;
}

export function createClients(config: Config, log: Logger, opts: { dbPoolSize?: number } = {}): Clients {
  const db = createDatabase(config.DATABASE_URL, {
    max: opts.dbPoolSize ?? 10,
    name: `flashsale-${config.ROLE}`,
  });
  const command = createCommandRedis(config.REDIS_URL, log);
  const commandRun = trackServerRun(command);
  const redis = createRedisGate(command, config.REDIS_COMMAND_TIMEOUT_MS, { serverRun: commandRun });
  const background = createBackgroundRedis(config.REDIS_URL, log, 'background');
  const backgroundRun = trackServerRun(background);
  const prefix = queuePrefix(config.REDIS_PREFIX);
  const persistQueue = createPersistQueue(background, prefix);
  const reconcileQueue = createReconcileQueue(background, prefix);
  for (const [name, queue] of [
    ['persist', persistQueue],
    ['reconcile', reconcileQueue],
  ] as const) {
    queue.on('error', (err) => log.warn('queue error', { queue: name, err }));
  }
  return {
    redis,
    commandRun,
    background,
    backgroundRun,
    db,
    persistQueue,
    reconcileQueue,
    queuePrefix: prefix,
    async close() {
      await persistQueue.close();
      await reconcileQueue.close();
      redis.client.disconnect();
      await background.quit().catch(() => background.disconnect());
      await db.close();
    },
  };
}
