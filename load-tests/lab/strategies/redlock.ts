import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { readThenWrite } from './ledger.ts';
import { LOCK_TTL_MS, lockKey, MIN_VALIDITY_MS, WAIT_MS, withRelease } from './locks.ts';
import { backoffMs, type Strategy, sleep } from './strategy.ts';

/** Clock drift allowance of the Redlock algorithm: 1% of the TTL plus 2 ms. */
const DRIFT_MS = Math.ceil(LOCK_TTL_MS * 0.01) + 2;

/**
 * A client for one Redlock node (connect() it before use): a node that is down or does not answer within
 * 200 ms is a lost vote at once, not a command queued until it comes back.
 */
export const redlockNode = (url: string) => {
  const node = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    commandTimeout: 200,
    maxRetriesPerRequest: 0,
  });
  node.on('error', () => {}); // a node down is an expected condition: its votes fail
  return node;
};

/**
 * 3b. Redlock-style: the same lock on N independent Redis masters (3 in the lab, each its own
 * redis-server). A lock is held when SET NX PX succeeded on a majority within less than its TTL; it is
 * valid until start + TTL - drift. A failed attempt is undone on every node, then retried with jittered
 * backoff until the deadline. Locks are taken in ascending product order; the read-then-write runs only
 * while every lock is still valid. As with any lease without a fencing token, a process paused past the
 * validity can still write: the database is not told which holder is current.
 */
export const redlock: Strategy = {
  id: 'redlock',
  title: '3b. Redlock (3 Redis masters)',
  summary:
    'Correct while each critical section ends within the lease, and survives the loss of a minority of Redis nodes; pays a majority of round trips per lock and per release.',
  multiItem: true,
  create: (ctx) => {
    const nodes = ctx.redlock.map(withRelease);
    const quorum = Math.floor(nodes.length / 2) + 1;

    const release = (keys: string[], token: string) =>
      Promise.all(nodes.map((n) => n.labReleaseLock(String(keys.length), ...keys, token).catch(() => 0)));
    /** One lock on a majority; the time until which it is valid, or undefined (undone everywhere). */
    const acquire = async (key: string, token: string): Promise<number | undefined> => {
      const start = Date.now();
      const won = await Promise.all(
        nodes.map((n) =>
          n.set(key, token, 'PX', LOCK_TTL_MS, 'NX').then(
            (r) => r === 'OK',
            () => false,
          ),
        ),
      );
      const validUntil = start + LOCK_TTL_MS - DRIFT_MS;
      if (won.filter(Boolean).length >= quorum && Date.now() < validUntil) return validUntil;
      await release([key], token);
      return undefined;
    };

    return async (order) => {
      if (nodes.length < 3) throw new Error('redlock needs at least 3 Redis masters (LAB_REDLOCK_URLS)');
      const token = randomUUID();
      const deadline = Date.now() + WAIT_MS;
      const held: string[] = [];
      let validUntil = Number.POSITIVE_INFINITY;
      let contended = false;
      try {
        for (const item of order.items) {
          const key = lockKey(ctx.keyPrefix, item);
          for (let attempt = 0; ; attempt++) {
            const until = await acquire(key, token);
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
        // The first locks' lease may have run down while the later ones were awaited.
        if (Date.now() > validUntil - MIN_VALIDITY_MS) return 'gave_up';
        return await readThenWrite(ctx.sql, order);
      } finally {
        if (held.length > 0) await release(held, token);
      }
    };
  },
};
