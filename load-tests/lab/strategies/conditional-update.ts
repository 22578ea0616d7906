import { insertLines } from './ledger.ts';
import { inTransaction, Rollback, type Strategy } from './strategy.ts';

/**
 * 6. The database decides in one statement: `update ... set stock = stock - 1 where id = $1 and stock > 0`
 * cannot take stock below zero, whatever runs beside it. The per-user limit needs its own guard, here a
 * unique index on (user, product): the lines are inserted first (a second press waits on the first one's
 * index entry, then conflicts), so the hot row is locked only for the UPDATE and the commit. Multi-item
 * orders update their products one by one in ascending order and roll back if any is out.
 */
export const conditionalUpdate: Strategy = {
  id: 'conditional-update',
  title: '6. conditional UPDATE',
  summary:
    'Correct: stock > 0 is checked by the UPDATE itself; the row is locked only for one statement and the commit.',
  multiItem: true,
  ddl: ['create unique index lab_claims_user_product on lab_claims (user_id, product_id)'],
  create: (ctx) => (order) =>
    inTransaction(ctx, async (tx) => {
      try {
        await insertLines(tx, order);
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw new Rollback('already_claimed');
        throw err;
      }
      for (const item of order.items) {
        const taken = await tx`update lab_products set stock = stock - 1 where id = ${item} and stock > 0`;
        if (taken.count === 0) throw new Rollback('sold_out');
      }
      return 'placed';
    }),
};
