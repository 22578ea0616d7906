import { UnavailableError } from './errors.ts';

/** Runs a Postgres call; connection failures become UnavailableError, SQL errors pass through. */
export async function viaPostgres<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (isPostgresUnavailable(err)) throw new UnavailableError('postgres', err);
    throw err;
  }
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
