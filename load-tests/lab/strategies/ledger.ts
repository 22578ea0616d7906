import type postgres from 'postgres';
import type { Order, Outcome } from './strategy.ts';

/** Tables every strategy writes: products with a stock (and a version for the optimistic one), order lines. */
export const LAB_TABLES = [
  'drop table if exists lab_orders', // a strategy's own DDL may create it
  'drop table if exists lab_claims',
  'drop table if exists lab_products',
  `create table lab_products (
     id int primary key,
     stock int not null,
     version int not null default 0
   )`,
  `create table lab_claims (
     id bigint generated always as identity primary key,
     order_id text not null,
     user_id text not null,
     product_id int not null
   )`,
  'create index lab_claims_user on lab_claims (user_id)',
];

type Sql = postgres.Sql | postgres.TransactionSql;

export async function userHasOrdered(sql: Sql, userId: string): Promise<boolean> {
  const rows = await sql`select 1 from lab_claims where user_id = ${userId} limit 1`;
  return rows.length > 0;
}

export function insertLines(sql: Sql, order: Order) {
  return sql`insert into lab_claims ${sql(
    order.items.map((productId) => ({
      order_id: order.orderId,
      user_id: order.userId,
      product_id: productId,
    })),
  )}`;
}

/**
 * The textbook read-modify-write: check the user, read the stock, write back what was read minus one.
 * Correct only while nothing else runs between the read and the write; the naive, mutex and Redis-lock
 * strategies differ only in what they wrap around it.
 */
export async function readThenWrite(sql: postgres.Sql, order: Order): Promise<Outcome> {
  if (await userHasOrdered(sql, order.userId)) return 'already_claimed';
  const rows = await sql<{ id: number; stock: number }[]>`
    select id, stock from lab_products where id in ${sql(order.items)} order by id`;
  if (rows.length !== order.items.length || rows.some((r) => r.stock <= 0)) return 'sold_out';
  await sql.begin(async (tx) => {
    for (const r of rows) await tx`update lab_products set stock = ${r.stock - 1} where id = ${r.id}`;
    await insertLines(tx, order);
  });
  return 'placed';
}
