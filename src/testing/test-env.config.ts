import { Redis } from 'ioredis';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { startPrivateCluster } from './redis-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    /** REDIS_CLUSTER_NODES of the suite's own 3-master cluster (started here, stopped at the end). */
    clusterNodes: string;
    postgresUrl: string;
    logLevel: string;
    /** The chromium the browser tests drive (TEST_CHROMIUM_PATH, Debian's by default). */
    chromiumPath: string;
    /** REQUIRE_CHROMIUM=1 (CI): a browser test fails, rather than skips, when chromium is missing. */
    requireChromium: boolean;
  }
}

/**
 * The suite's global setup and the one place it reads its environment (TEST_REDIS_URL,
 * TEST_POSTGRES_URL, TEST_LOG_LEVEL, TEST_CHROMIUM_PATH, REQUIRE_CHROMIUM), handed to test files through vitest's provide/inject. Fails fast,
 * with a clear message, when the real Redis or Postgres the suite needs is not reachable; starts the
 * suite's Redis Cluster (redis-server with cluster mode, on loopback) and stops it at the end.
 */
export default async function setup(project: TestProject) {
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const postgresUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`Redis is not reachable at ${redisUrl} (set TEST_REDIS_URL): ${String(err)}`);
  } finally {
    redis.disconnect();
  }
  const sql = postgres(`${postgresUrl}/postgres`, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
  } catch (err) {
    throw new Error(`Postgres is not reachable at ${postgresUrl} (set TEST_POSTGRES_URL): ${String(err)}`);
  } finally {
    await sql.end({ timeout: 1 });
  }
  // The cluster suite's own 3-master Redis Cluster on free loopback ports; every file that runs on the
  // cluster isolates itself by key prefix, as on the shared server.
  const cluster = await startPrivateCluster();
  project.provide('clusterNodes', cluster.seeds);
  project.provide('redisUrl', redisUrl);
  project.provide('postgresUrl', postgresUrl);
  project.provide('logLevel', process.env.TEST_LOG_LEVEL ?? 'silent');
  project.provide('chromiumPath', process.env.TEST_CHROMIUM_PATH ?? '/usr/bin/chromium');
  project.provide('requireChromium', process.env.REQUIRE_CHROMIUM === '1');
  return () => cluster.stop();
}
