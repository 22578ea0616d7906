import { randomUUID } from 'node:crypto';
import { readThenWrite } from './ledger.ts';
import { LOCK_TTL_MS, lockKey, MIN_VALIDITY_MS, WAIT_MS, withRelease } from './locks.ts';
import { backoffMs, type Strategy, sleep } from './strategy.ts';

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
      let firstLockedAt = 0;
      let contended = false;
      try {
        for (const item of order.items) {
          const key = lockKey(ctx.keyPrefix, item);
          for (let attempt = 0; ; attempt++) {
            const askedAt = Date.now();
            if ((await redis.set(key, token, 'PX', LOCK_TTL_MS, 'NX')) === 'OK') {
              firstLockedAt ||= askedAt;
              break;
            }
            ctx.counters.retries++;
            if (!contended) ctx.counters.conflicts++;
            contended = true;
            if (Date.now() > deadline) return 'gave_up';
            await sleep(backoffMs(attempt, 2, 50));
          }
          held.push(key);
        }
        // The first lock's lease ran down while the later ones were awaited: do not start on a thin one.
        if (Date.now() > firstLockedAt + LOCK_TTL_MS - MIN_VALIDITY_MS) return 'gave_up';
        return await readThenWrite(ctx.sql, order);
      } finally {
        // A failed release leaves the locks to expire; it does not undo an order already placed.
        if (held.length > 0) await redis.labReleaseLock(String(held.length), ...held, token).catch(() => 0);
      }
    };
  },
};
