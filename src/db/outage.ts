import { AppError, UnavailableError } from '../shared/errors.ts';

/**
 * The one place a Postgres outage becomes UnavailableError (503), as the Redis gate does for Redis:
 * repositories and transactions are wrapped here, so callers never map errors themselves. SQL errors
 * (a constraint, a bad statement) pass through untouched.
 */
export async function mapOutage<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    // Already mapped (a repository inside a transaction), or an expected outcome: as it is.
    if (err instanceof AppError) throw err;
    if (isPostgresUnavailable(err)) throw new UnavailableError('postgres', err);
    throw err;
  }
}

/** Every method of a repository, with its outages mapped. */
export function guarded<T extends object>(repo: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(repo)) {
    out[name] =
      typeof member === 'function'
        ? (...args: unknown[]) => mapOutage(Promise.resolve().then(() => member(...args)))
        : member;
  }
  return out as T;
}

/** True for errors that mean Postgres could not be reached, as opposed to a statement it refused. */
export function isPostgresUnavailable(err: unknown): boolean {
  const e = (err instanceof Error && err.cause ? err.cause : err) as { code?: unknown; errno?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^(08|53|57P)/.test(code)) return true; // connection exception, insufficient resources, shutdown
  return /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH|CONNECT_TIMEOUT|CONNECTION_CLOSED|CONNECTION_ENDED|CONNECTION_DESTROYED)$/.test(
    code,
  );
}

/** Postgres SQLSTATE of an error (drizzle wraps driver errors and keeps them in `cause`). */
export function sqlState(err: unknown): string | undefined {
  const e = (err instanceof Error && err.cause ? err.cause : err) as { code?: unknown };
  return typeof e?.code === 'string' ? e.code : undefined;
}
