import { randomBytes } from 'node:crypto';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { inject } from 'vitest';
import { signJwt } from '../auth/jwt.ts';
import { createHttpApp, startPersistWorker } from '../bootstrap/roles.ts';
import { createServices, type Services } from '../bootstrap/services.ts';
import { type Config, loadConfig } from '../config.ts';
import { migrateDatabase } from '../db/migrate.ts';
import type { App } from '../http/app.ts';
import { defineScripts } from '../redis/scripts/index.ts';
import { createLogger } from '../shared/logger.ts';

export const ADMIN_TOKEN = 'test-admin-token';
export const JWT_SECRET = 'test-jwt-secret';

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
  databaseUrl: string;
  /** Spin up an app instance (own Redis and Postgres connections), as a separate process would have. */
  instance(overrides?: Record<string, string>): Instance;
  /** Start a persist worker (own connections) that runs until cleanup or until closed. */
  worker(overrides?: Record<string, string>): Worker;
  /** A raw Redis client with the claim scripts defined. */
  redis(): Redis;
  sql(): postgres.Sql;
  userToken(sub: string, extra?: Record<string, unknown>): string;
  cleanup(): Promise<void>;
}

export async function createTestEnv(name: string, overrides: Record<string, string> = {}): Promise<TestEnv> {
  const id = `${name
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20)}${randomBytes(4).toString('hex')}`;
  const redisUrl = inject('redisUrl');
  const databaseUrl = `${inject('postgresUrl')}/fs_test_${id}`;
  await migrateDatabase(databaseUrl);
  const env = {
    NODE_ENV: 'test',
    REDIS_URL: redisUrl,
    DATABASE_URL: databaseUrl,
    REDIS_PREFIX: `t${id}`,
    ADMIN_TOKEN,
    JWT_SECRET,
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
    databaseUrl,
    instance(more = {}) {
      const services = createServices(loadConfig({ ...env, ...more }), log, { dbPoolSize: 4 });
      closers.push(() => services.close());
      return { services, app: createHttpApp(services) };
    },
    worker(more = {}) {
      const c = loadConfig({ ...env, ...more });
      const services = createServices(c, log, { dbPoolSize: 4 });
      const worker = startPersistWorker(services);
      closers.push(async () => {
        await worker.close();
        await services.close();
      });
      return worker;
    },
    redis() {
      // The file's own Redis: a test may point REDIS_URL at a private server.
      const r = defineScripts(new Redis(config.REDIS_URL));
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
      await deleteKeys(config.REDIS_URL, [`${config.REDIS_PREFIX}:*`, `{${config.REDIS_PREFIX}-q}:*`]);
      const admin = postgres(`${inject('postgresUrl')}/postgres`, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists "fs_test_${id}" with (force)`);
      await admin.end({ timeout: 1 });
    },
  };
}

async function deleteKeys(url: string, patterns: string[]): Promise<void> {
  const redis = new Redis(url);
  try {
    for (const match of patterns) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
