import { readThenWrite } from './ledger.ts';
import type { Strategy } from './strategy.ts';

/** A FIFO async mutex per key, in this process' memory only. */
class KeyedMutex {
  private readonly tails = new Map<number, Promise<void>>();

  /** Resolves with a release function once the key is ours; `contended` says whether we had to wait. */
  async acquire(key: number): Promise<{ release: () => void; contended: boolean }> {
    const previous = this.tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = (previous ?? Promise.resolve()).then(() => mine);
    this.tails.set(key, tail);
    if (previous) await previous;
    return {
      contended: previous !== undefined,
      release: () => {
        if (this.tails.get(key) === tail) this.tails.delete(key);
        release();
      },
    };
  }
}

/**
 * 2. The same read-then-write inside an in-process lock (one per product, taken in ascending order so two
 * multi-item orders cannot wait on each other). Serialises the requests of one process only: correct on
 * one instance, oversells as soon as a second instance sells the same stock.
 */
export const mutex: Strategy = {
  id: 'mutex',
  title: '2. in-process mutex',
  summary: 'Correct on one instance only: every other instance has its own lock and sells the same stock.',
  multiItem: true,
  create: (ctx) => {
    const locks = new KeyedMutex();
    return async (order) => {
      const held: (() => void)[] = [];
      try {
        let contended = false;
        for (const item of order.items) {
          const lock = await locks.acquire(item);
          held.push(lock.release);
          contended ||= lock.contended;
        }
        if (contended) ctx.counters.conflicts++;
        return await readThenWrite(ctx.sql, order);
      } finally {
        for (const release of held.reverse()) release();
      }
    };
  },
};
