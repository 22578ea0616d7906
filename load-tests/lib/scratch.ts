import { Redis } from 'ioredis';
import postgres from 'postgres';

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

export function scratch(name: string): Scratch {
  const id = `${name}_${Date.now().toString(36)}`;
  const server = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const database = `flashsale_${id}`;
  const prefix = id.replace(/_/g, '-');
  return {
    databaseUrl: `${server}/${database}`,
    prefix,
    async cleanup() {
      const admin = postgres(`${server}/postgres`, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists "${database}" with (force)`).catch(() => {});
      await admin.end({ timeout: 2 });
      const redis = new Redis(redisUrl);
      try {
        for (const match of [`${prefix}:*`, `{${prefix}-q}:*`]) {
          let cursor = '0';
          do {
            const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 5000);
            cursor = next;
            if (keys.length > 0) await redis.unlink(...keys);
          } while (cursor !== '0');
        }
      } finally {
        redis.disconnect();
      }
    },
  };
}
