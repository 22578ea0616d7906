import { LOCK_TTL_MS, type LockOps, lockedReadThenWrite, withRelease } from './locks.ts';
import type { Strategy } from './strategy.ts';

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
    const ops: LockOps = {
      async acquire(key, token) {
        const askedAt = Date.now();
        const taken = await redis.set(key, token, 'PX', LOCK_TTL_MS, 'NX');
        return taken === 'OK' ? askedAt + LOCK_TTL_MS : undefined;
      },
      release: (keys, token) => redis.labReleaseLock(String(keys.length), ...keys, token).catch(() => 0),
    };
    return (order) => lockedReadThenWrite(ctx, ops, order);
  },
};
