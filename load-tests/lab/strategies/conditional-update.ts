import { insertLines } from './ledger.ts';
import { inTransaction, Rollback, type Strategy } from './strategy.ts';

/**
 * 6. The database decides in one statement: `update ... set stock = stock - 1 where id = $1 and stock > 0`
 * cannot take stock below zero, whatever runs beside it. The per-user limit needs its own guard, here one
 * order row per user (`lab_orders`, the user as primary key), inserted first with the order's lines: a
 * second press waits on the first one's uncommitted key, then conflicts; the hot product rows are locked
 * only for the UPDATEs and the commit. Multi-item orders update their products one by one in ascending order and roll back if any
 * is out.
 */
export const conditionalUpdate: Strategy = {
  id: 'conditional-update',
  title: '6. conditional UPDATE',
  summary:
    'Correct: stock > 0 is checked by the UPDATE itself; the row is locked only for one statement and the commit.',
  multiItem: true,
  ddl: ['create table lab_orders (user_id text primary key, order_id text not null)'],
  create: (ctx) => (order) =>
    inTransaction(ctx, async (tx) => {
      try {
        await tx`insert into lab_orders (user_id, order_id) values (${order.userId}, ${order.orderId})`;
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw new Rollback('already_claimed');
        throw err;
      }
      // The lines before the stock: the hot rows stay locked for as little as possible.
      await insertLines(tx, order);
      for (const item of order.items) {
        const taken = await tx`update lab_products set stock = stock - 1 where id = ${item} and stock > 0`;
        if (taken.count === 0) throw new Rollback('sold_out');
      }
      return 'placed';
    }),
};
