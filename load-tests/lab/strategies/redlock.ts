import { Redis } from 'ioredis';
import { LOCK_TTL_MS, type LockOps, lockedReadThenWrite, withRelease } from './locks.ts';
import type { Strategy } from './strategy.ts';

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

    const ops: LockOps = {
      release: (keys, token) =>
        Promise.all(nodes.map((n) => n.labReleaseLock(String(keys.length), ...keys, token).catch(() => 0))),
      /** One lock on a majority; the time until which it is valid, or undefined (undone everywhere). */
      async acquire(key, token) {
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
        await ops.release([key], token);
        return undefined;
      },
    };
    return async (order) => {
      if (nodes.length < 3) throw new Error('redlock needs at least 3 Redis masters (LAB_REDLOCK_URLS)');
      return lockedReadThenWrite(ctx, ops, order);
    };
  },
};
