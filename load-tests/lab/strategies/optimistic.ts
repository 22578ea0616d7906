import { insertLines, userHasOrdered } from './ledger.ts';
import { backoffMs, inTransaction, Rollback, type Strategy, sleep } from './strategy.ts';

const MAX_ATTEMPTS = 8;

/**
 * 4. Optimistic concurrency: read stock and version without a lock, then write each product back only if
 * its version is still the one read (`where version = $read`); a changed version rolls the whole order
 * back and it tries again after a jittered backoff, up to MAX_ATTEMPTS. The user check runs after the
 * versions are read, so a second press either sees the first one's lines or fails on the moved version.
 */
export const optimistic: Strategy = {
  id: 'optimistic',
  title: '4. optimistic version + retry',
  summary:
    'Correct: a write only lands on the version it read. Under a hot product most attempts lose and retry; some give up.',
  multiItem: true,
  create: (ctx) => async (order) => {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (attempt > 0) {
        ctx.counters.retries++;
        await sleep(backoffMs(attempt, 2, 100));
      }
      const rows = await ctx.sql<{ id: number; stock: number; version: number }[]>`
        select id, stock, version from lab_products where id in ${ctx.sql(order.items)} order by id`;
      if (await userHasOrdered(ctx.sql, order.userId)) return 'already_claimed';
      if (rows.length !== order.items.length || rows.some((r) => r.stock <= 0)) return 'sold_out';
      const outcome = await inTransaction(ctx, async (tx) => {
        for (const r of rows) {
          const moved = await tx`
            update lab_products set stock = stock - 1, version = version + 1
            where id = ${r.id} and version = ${r.version}`;
          if (moved.count === 0) throw new Rollback('gave_up');
        }
        await insertLines(tx, order);
        return 'placed';
      });
      if (outcome === 'placed') return outcome;
      if (attempt === 0) ctx.counters.conflicts++;
    }
    return 'gave_up';
  },
};
