import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { mapOutage } from './outage.ts';
import * as schema from './schema.ts';

export type Db = PostgresJsDatabase<typeof schema>;
/** A transaction handle; repositories accept either, so one unit of work can span several of them. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type Executor = Db | Tx;

export interface Database {
  readonly db: Db;
  readonly sql: postgres.Sql;
  /** One unit of work: committed when `work` resolves, rolled back when it throws; outages map to 503. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function createDatabase(url: string, opts: { max?: number; name?: string } = {}): Database {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    connect_timeout: 5,
    idle_timeout: 30,
    onnotice: () => {},
    connection: { application_name: opts.name ?? 'flashsale' },
  });
  const db = drizzle({ client: sql, schema });
  return {
    db,
    sql,
    transaction: (work) => mapOutage(db.transaction(work)),
    close: () => sql.end({ timeout: 5 }),
  };
}
