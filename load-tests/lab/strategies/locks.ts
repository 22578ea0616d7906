import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis, Result } from 'ioredis';
import { readThenWrite } from './ledger.ts';
import { backoffMs, type LabContext, type Order, type Outcome, sleep } from './strategy.ts';

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

/** How one lock strategy takes and frees a lock; everything around it is `lockedReadThenWrite`. */
export interface LockOps {
  /** Takes `key` for `token`; the time until which it is valid, or undefined when it is held elsewhere. */
  acquire(key: string, token: string): Promise<number | undefined>;
  /** Frees `keys` if they still hold `token`; never throws (a lock it cannot free expires). */
  release(keys: string[], token: string): Promise<unknown>;
}

/**
 * The order's product locks in ascending order, each retried with jittered backoff until WAIT_MS, then the
 * read-then-write, but only with MIN_VALIDITY_MS of every lease left; the locks are freed whatever happens
 * (a failed release does not undo an order already placed).
 */
export async function lockedReadThenWrite(ctx: LabContext, ops: LockOps, order: Order): Promise<Outcome> {
  const token = randomUUID();
  const deadline = Date.now() + WAIT_MS;
  const held: string[] = [];
  let validUntil = Number.POSITIVE_INFINITY;
  let contended = false;
  try {
    for (const item of order.items) {
      const key = lockKey(ctx.keyPrefix, item);
      for (let attempt = 0; ; attempt++) {
        const until = await ops.acquire(key, token);
        if (until !== undefined) {
          validUntil = Math.min(validUntil, until);
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
    // The first locks' lease ran down while the later ones were awaited: do not start on a thin one.
    if (Date.now() > validUntil - MIN_VALIDITY_MS) return 'gave_up';
    return await readThenWrite(ctx.sql, order);
  } finally {
    if (held.length > 0) await ops.release(held, token);
  }
}
