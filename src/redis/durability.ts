import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger.ts';

export interface Durability {
  maxmemoryPolicy: string | null;
  appendonly: string | null;
  save: string | null;
  warnings: string[];
}

async function configGet(redis: Redis, name: string): Promise<string | null> {
  const reply = (await redis.config('GET', name)) as string[];
  return reply[1] ?? null;
}

/**
 * Reads the settings that decide whether Redis can silently lose acknowledged claims, and warns about
 * each risky one: any eviction policy but noeviction, and persistence off (or snapshots only).
 */
export async function checkRedisDurability(redis: Redis, log: Logger): Promise<Durability> {
  let policy: string | null;
  let appendonly: string | null;
  let save: string | null;
  try {
    [policy, appendonly, save] = await Promise.all([
      configGet(redis, 'maxmemory-policy'),
      configGet(redis, 'appendonly'),
      configGet(redis, 'save'),
    ]);
  } catch (err) {
    const warning =
      'could not read the Redis configuration (CONFIG may be disabled); make sure maxmemory-policy is noeviction and AOF is on';
    log.warn(warning, { err });
    return { maxmemoryPolicy: null, appendonly: null, save: null, warnings: [warning] };
  }
  const warnings: string[] = [];
  if (policy !== 'noeviction') {
    warnings.push(
      `Redis maxmemory-policy is "${policy}": under memory pressure Redis may evict claim or queue keys and silently lose acknowledged claims; set it to noeviction`,
    );
  }
  if (appendonly !== 'yes' && !save) {
    warnings.push(
      'Redis persistence is off (appendonly no, no snapshots): a Redis restart loses every claim not yet in Postgres; turn on appendonly',
    );
  } else if (appendonly !== 'yes') {
    warnings.push(
      'Redis persists by snapshots only: a crash loses the claims accepted since the last snapshot that were not yet in Postgres; turn on appendonly',
    );
  }
  for (const warning of warnings) log.warn(warning, { maxmemoryPolicy: policy, appendonly, save });
  return { maxmemoryPolicy: policy, appendonly, save, warnings };
}
