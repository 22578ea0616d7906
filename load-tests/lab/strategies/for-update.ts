import { insertLines, userHasOrdered } from './ledger.ts';
import { inTransaction, Rollback, type Strategy } from './strategy.ts';

/**
 * 5. Pessimistic: one transaction that locks the order's product rows (`select ... order by id for update`,
 * so two orders always lock in the same order), checks the user and the stock under the lock, decrements
 * and writes the lines. Every sale of a product queues on that row lock for the whole transaction,
 * round trips included.
 */
export const forUpdate: Strategy = {
  id: 'for-update',
  title: '5. SELECT ... FOR UPDATE',
  summary:
    'Correct: the row lock serialises every request for a product, held across several round trips per sale.',
  multiItem: true,
  create: (ctx) => (order) =>
    inTransaction(ctx, async (tx) => {
      const rows = await tx<{ id: number; stock: number }[]>`
        select id, stock from lab_products where id in ${tx(order.items)} order by id for update`;
      if (await userHasOrdered(tx, order.userId)) throw new Rollback('already_claimed');
      if (rows.length !== order.items.length || rows.some((r) => r.stock <= 0))
        throw new Rollback('sold_out');
      await tx`update lab_products set stock = stock - 1 where id in ${tx(order.items)}`;
      await insertLines(tx, order);
      return 'placed';
    }),
};
