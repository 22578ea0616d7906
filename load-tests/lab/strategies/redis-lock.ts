import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis, Result } from 'ioredis';
import { readThenWrite } from './ledger.ts';
import { backoffMs, type Strategy, sleep } from './strategy.ts';

/** Longer than any critical section here; if one outlives it, two holders run at once (the known hole). */
const LOCK_TTL_MS = 5_000;
/** A request waits at most this long for its locks, then gives up (the client may retry). */
const WAIT_MS = 5_000;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    labReleaseLock(...keysThenToken: string[]): Result<number, Context>;
  }
}

function withRelease(redis: Redis): Redis {
  if (typeof (redis as Partial<Redis>).labReleaseLock !== 'function') {
    const lua = readFileSync(new URL('../../../lua/lab/release_lock.lua', import.meta.url), 'utf8');
    redis.defineCommand('labReleaseLock', { lua });
  }
  return redis;
}

/**
 * 3. A Redis lock per product: SET key token NX PX ttl, retried with jittered backoff until a deadline,
 * taken in ascending product order (no two orders wait on each other), released by a script that deletes
 * a key only if it still holds our random token. Shared by every instance, so it serialises them all
 * around the same read-then-write.
 */
export const redisLock: Strategy = {
  id: 'redis-lock',
  title: '3. Redis SET NX PX lock',
  summary:
    'Correct across instances while each critical section ends within the lock TTL; every sale queues on one lock and losers spin.',
  multiItem: true,
  create: (ctx) => {
    const redis = withRelease(ctx.redis);
    return async (order) => {
      const token = randomUUID();
      const deadline = Date.now() + WAIT_MS;
      const held: string[] = [];
      let contended = false;
      try {
        for (const item of order.items) {
          const key = `${ctx.keyPrefix}:lock:product:${item}`;
          for (let attempt = 0; ; attempt++) {
            if ((await redis.set(key, token, 'PX', LOCK_TTL_MS, 'NX')) === 'OK') break;
            ctx.counters.retries++;
            if (!contended) ctx.counters.conflicts++;
            contended = true;
            if (Date.now() > deadline) return 'gave_up';
            await sleep(backoffMs(attempt, 2, 50));
          }
          held.push(key);
        }
        return await readThenWrite(ctx.sql, order);
      } finally {
        if (held.length > 0) await redis.labReleaseLock(String(held.length), ...held, token);
      }
    };
  },
};
