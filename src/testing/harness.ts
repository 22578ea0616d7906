import { randomBytes } from 'node:crypto';
import type { Worker } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import postgres from 'postgres';
import { inject } from 'vitest';
import { signJwt } from '../auth/jwt.ts';
import { createHttpApp, startPersistWorker } from '../bootstrap/roles.ts';
import { createServices, type Services } from '../bootstrap/services.ts';
import { type Config, loadConfig } from '../config.ts';
import { migrateDatabase } from '../db/migrate.ts';
import type { App } from '../http/app.ts';
import { clusterSeeds, type RedisClient } from '../redis/connections.ts';
import { defineScripts } from '../redis/scripts/index.ts';
import { createLogger, type Logger } from '../shared/logger.ts';

export const ADMIN_TOKEN = 'test-admin-token';
export const JWT_SECRET = 'test-jwt-secret';
export const SERVICE_TOKEN = 'test-service-token';

/** Where a test file's Redis lives: the shared server, or the suite's 3-master cluster. */
export type Topology = 'standalone' | 'cluster';
export const TOPOLOGIES: Topology[] = ['standalone', 'cluster'];

export interface Instance {
  services: Services;
  app: App;
}

/**
 * One test file's private world against the real servers: its own Postgres database (migrated), its own
 * Redis key prefix and queue prefix. Instances are full app stacks with their own connections.
 */
export interface TestEnv {
  config: Config;
  topology: Topology;
  databaseUrl: string;
  /**
   * Spin up an app instance (own Redis and Postgres connections), as a separate process would have; a
   * test that reads the logs passes its own logger.
   */
  instance(overrides?: Record<string, string>, opts?: { log?: Logger }): Instance;
  /** Start a persist worker (own connections) that runs until cleanup or until closed. */
  worker(overrides?: Record<string, string>): Worker;
  /** A raw client (a cluster client on the cluster) with the scripts defined. */
  redis(): RedisClient;
  sql(): postgres.Sql;
  userToken(sub: string, extra?: Record<string, unknown>): string;
  cleanup(): Promise<void>;
}

/** Patterns matching every key of a deployment (a test file): its campaigns' keys and its queues'. */
export const deploymentKeys = (config: Config) => [
  `${config.REDIS_PREFIX}:*`,
  `{${config.REDIS_PREFIX}-q}:*`,
];

/** An instance's own connection, for assertions on what Redis holds (any key, on any topology). */
export const redisOf = (i: Instance): RedisClient => i.services.clients.shared;

function rawClient(config: Config): RedisClient {
  if (config.REDIS_CLUSTER_NODES) return defineScripts(new Cluster(clusterSeeds(config.REDIS_CLUSTER_NODES)));
  return defineScripts(new Redis(config.REDIS_URL));
}

export async function createTestEnv(
  name: string,
  overrides: Record<string, string> = {},
  opts: { topology?: Topology } = {},
): Promise<TestEnv> {
  const topology = opts.topology ?? 'standalone';
  const id = `${name
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20)}${randomBytes(4).toString('hex')}`;
  const databaseUrl = `${inject('postgresUrl')}/fs_test_${id}`;
  await migrateDatabase(databaseUrl);
  const env = {
    NODE_ENV: 'test',
    REDIS_URL: inject('redisUrl'),
    ...(topology === 'cluster' ? { REDIS_CLUSTER_NODES: inject('clusterNodes') } : {}),
    DATABASE_URL: databaseUrl,
    REDIS_PREFIX: `t${id}`,
    ADMIN_TOKEN,
    JWT_SECRET,
    SERVICE_TOKEN,
    LOG_LEVEL: inject('logLevel'),
    PENDING_GRACE_MS: '0',
    REBUILD_SETTLE_MS: '50',
    // Scheduled reconciliation stays out of the way unless a test asks for it.
    RECONCILE_EVERY_MS: '3600000',
    ...overrides,
  };
  const config = loadConfig(env);
  const log = createLogger(config.LOG_LEVEL, { test: name });
  const closers: (() => Promise<void>)[] = [];
  let sql: postgres.Sql | undefined;

  return {
    config,
    topology,
    databaseUrl,
    instance(more = {}, opts = {}) {
      const services = createServices(loadConfig({ ...env, ...more }), opts.log ?? log, { dbPoolSize: 4 });
      closers.push(() => services.close());
      return { services, app: createHttpApp(services) };
    },
    worker(more = {}) {
      const services = createServices(loadConfig({ ...env, ...more }), log, { dbPoolSize: 4 });
      const worker = startPersistWorker(services);
      closers.push(async () => {
        await worker.close();
        await services.close();
      });
      return worker;
    },
    redis() {
      // The file's own Redis: a test may point REDIS_URL at a private server.
      const r = rawClient(config);
      closers.push(async () => void r.disconnect());
      return r;
    },
    sql() {
      sql ??= postgres(databaseUrl, { max: 4, onnotice: () => {} });
      return sql;
    },
    userToken(sub, extra = {}) {
      return signJwt({ sub, exp: Math.floor(Date.now() / 1000) + 3600, ...extra }, JWT_SECRET);
    },
    async cleanup() {
      for (const close of closers.reverse()) await close().catch(() => {});
      await sql?.end({ timeout: 1 });
      await deleteKeys(config, deploymentKeys(config));
      const admin = postgres(`${inject('postgresUrl')}/postgres`, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists "fs_test_${id}" with (force)`);
      await admin.end({ timeout: 1 });
    },
  };
}

/** Deletes the keys matching `patterns` on every master (SCAN is per server); returns how many. */
export async function deleteKeys(config: Config, patterns: string[]): Promise<number> {
  let deleted = 0;
  const client = rawClient(config);
  const servers = client instanceof Cluster ? await mastersOf(client) : [client];
  try {
    for (const redis of servers) {
      for (const match of patterns) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
          cursor = next;
          // One key at a time on a cluster: the keys of one scan can live in different slots.
          for (const key of keys) deleted += await redis.unlink(key);
        } while (cursor !== '0');
      }
    }
  } finally {
    client.disconnect();
  }
  return deleted;
}

async function mastersOf(cluster: Cluster): Promise<Redis[]> {
  if (cluster.status !== 'ready') await new Promise((resolve) => cluster.once('ready', resolve));
  return cluster.nodes('master');
}
