import type { Redis } from 'ioredis';
import type postgres from 'postgres';

/**
 * One order: a user takes one unit of each item, all or nothing. The single-item lab is an order of one
 * item (a coupon); the multi-item variant orders 20-100 products at once. Items arrive sorted ascending and
 * distinct (the lab server normalises them), which is the lock order every lock-based strategy relies on.
 *
 * A user's second press is the same order (the same items), as when a button is pressed twice. Strategies
 * 3 to 5 check the user under the product locks (or, optimistically, before the version check), so the
 * second press waits for, or collides with, the first and then sees its lines. A shop that lets one user
 * place different orders under a per-user limit needs a per-user guard as well, like strategy 6's order row.
 */
export interface Order {
  orderId: string;
  userId: string;
  items: number[];
}

/** Expected outcomes are values; only real failures throw (and answer 500). */
export type Outcome = 'placed' | 'sold_out' | 'already_claimed' | 'gave_up';

/** What a strategy pays for its guarantee, counted per process and summed by the harness. */
export interface Counters {
  /** Attempts repeated: a lock found taken, a version found changed. */
  retries: number;
  /** Requests that found another one in their way at least once (lock held, version moved). */
  conflicts: number;
  /** Postgres deadlocks detected (40P01); lock ordering should keep this at zero. */
  deadlocks: number;
}

export interface LabContext {
  sql: postgres.Sql;
  redis: Redis;
  /** Redis key prefix of this lab run. */
  keyPrefix: string;
  /** Independent Redis masters for the Redlock strategy (empty when the process was given none). */
  redlock: Redis[];
  counters: Counters;
}

export interface Strategy {
  /** URL-safe id, e.g. `for-update`. */
  id: string;
  title: string;
  /** What it guarantees and what it costs, in one sentence (printed in the report). */
  summary: string;
  /** Whether it has an all-or-nothing multi-item form. */
  multiItem: boolean;
  /** Extra DDL this strategy needs on top of the lab tables (e.g. a unique index). */
  ddl?: string[];
  /** Builds the per-process handler; state such as an in-process mutex lives in its closure. */
  create(ctx: LabContext): (order: Order) => Promise<Outcome>;
}

export const newCounters = (): Counters => ({ retries: 0, conflicts: 0, deadlocks: 0 });

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Full-jitter exponential backoff: a random wait in [0, min(cap, base * 2^attempt)). */
export const backoffMs = (attempt: number, baseMs: number, capMs: number) =>
  Math.random() * Math.min(capMs, baseMs * 2 ** attempt);

/** Thrown inside a transaction to roll it back with an expected outcome. */
export class Rollback extends Error {
  constructor(readonly outcome: Outcome) {
    super(outcome);
  }
}

/** Runs `work` in a transaction; a Rollback becomes its outcome, a deadlock is counted and rethrown. */
export async function inTransaction(
  ctx: LabContext,
  work: (tx: postgres.TransactionSql) => Promise<Outcome>,
): Promise<Outcome> {
  try {
    return (await ctx.sql.begin(work)) as Outcome;
  } catch (err) {
    if (err instanceof Rollback) return err.outcome;
    if ((err as { code?: string }).code === '40P01') ctx.counters.deadlocks++;
    throw err;
  }
}
