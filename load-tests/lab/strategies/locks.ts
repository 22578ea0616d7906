import { readFileSync } from 'node:fs';
import type { Redis, Result } from 'ioredis';

/** Longer than any critical section here; if one outlives it, two holders run at once (the known hole). */
export const LOCK_TTL_MS = 5_000;
/** A request waits at most this long for its locks, then gives up (the client may retry). */
export const WAIT_MS = 5_000;

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
