import { readFileSync } from 'node:fs';
import type { Redis, Result } from 'ioredis';

/** A request waits at most this long for its locks, then gives up (the client may retry). */
export const WAIT_MS = 5_000;
/**
 * Far longer than the wait for the locks plus any critical section here. A lease is still a lease: a
 * holder paused past it (GC, a stalled VM) writes while another holds the lock, and without a fencing
 * token the database cannot tell (the known hole of both lock strategies).
 */
export const LOCK_TTL_MS = 30_000;
/** The critical section starts only with at least this much of every lock's lease left. */
export const MIN_VALIDITY_MS = 10_000;

export const lockKey = (prefix: string, product: number) => `${prefix}:lock:product:${product}`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    labReleaseLock(...keysThenToken: string[]): Result<number, Context>;
  }
}

/** The client, with lua/lab/release_lock.lua (delete a lock only if it still holds our token) defined. */
export function withRelease(redis: Redis): Redis {
  if (typeof (redis as Partial<Redis>).labReleaseLock !== 'function') {
    const lua = readFileSync(new URL('../../../lua/lab/release_lock.lua', import.meta.url), 'utf8');
    redis.defineCommand('labReleaseLock', { lua });
  }
  return redis;
}
