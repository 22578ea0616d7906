import { Cluster, Redis } from 'ioredis';
import postgres from 'postgres';
import { clusterSeeds } from '../../src/redis/connections.ts';

/**
 * A private database and Redis key prefix for one load or benchmark run, so runs never see each other's
 * campaigns (a scheduled reconciliation pass over earlier runs' data would skew the figures), and removed
 * afterwards.
 */
export interface Scratch {
  databaseUrl: string;
  prefix: string;
  cleanup(): Promise<void>;
}

/** Every key matching `patterns` goes, on every master of a cluster (SCAN is per server). */
async function unlinkMatching(servers: Redis[], patterns: string[]): Promise<void> {
  for (const redis of servers) {
    for (const match of patterns) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 5000);
        cursor = next;
        // One at a time: on a cluster the keys of one scan may live in different slots.
        for (const key of keys) await redis.unlink(key);
      } while (cursor !== '0');
    }
  }
}

/**
 * `redisUrl`: where cleanup removes the prefix's keys (default REDIS_URL or the local Redis); null when
 * the keys live on a private server that goes away by itself. `clusterNodes`: a cluster instead.
 */
export function scratch(
  name: string,
  opts: { redisUrl?: string | null; clusterNodes?: string } = {},
): Scratch {
  const id = `${name}_${Date.now().toString(36)}`;
  const server = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
  const redisUrl =
    opts.redisUrl === undefined ? (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') : opts.redisUrl;
  const database = `flashsale_${id}`;
  const prefix = id.replace(/_/g, '-');
  return {
    databaseUrl: `${server}/${database}`,
    prefix,
    async cleanup() {
      const admin = postgres(`${server}/postgres`, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists "${database}" with (force)`).catch(() => {});
      await admin.end({ timeout: 2 });
      const patterns = [`${prefix}:*`, `{${prefix}-q}:*`];
      if (opts.clusterNodes) {
        const cluster = new Cluster(clusterSeeds(opts.clusterNodes));
        try {
          await new Promise((resolve) => cluster.once('ready', resolve));
          await unlinkMatching(cluster.nodes('master'), patterns);
        } finally {
          cluster.disconnect();
        }
        return;
      }
      if (redisUrl === null) return;
      const redis = new Redis(redisUrl);
      try {
        await unlinkMatching([redis], patterns);
      } finally {
        redis.disconnect();
      }
    },
  };
}
