import { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { ListenError } from '../http/server.ts';
import { clusterSeeds } from '../redis/connections.ts';
import type { Logger } from '../shared/logger.ts';

/**
 * The start of a process, told plainly: a dependency that is not there yet gets one clear line, and a
 * start that cannot succeed ends with one message and an exit code of its own, not a stack trace.
 */
export const EXIT = { config: 2, postgres: 3, port: 4 } as const;

export class StartupError extends Error {
  override name = 'StartupError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** A URL fit for a log line: the password left out. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}

/** The reason a connection failed, in a few words (Node wraps some in an AggregateError with no message). */
function reason(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return reason(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return err.message || (typeof code === 'string' ? code : err.name);
  }
  return String(err);
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'CONNECT_TIMEOUT']);

/** Creates the database if needed and applies the migrations; fails as a StartupError (exit 3). */
export async function preparePostgres(config: Config): Promise<void> {
  const where = redactUrl(config.DATABASE_URL);
  try {
    await migrateDatabase(config.DATABASE_URL);
  } catch (err) {
    const first = err instanceof AggregateError ? err.errors[0] : err;
    const code = (first as { code?: unknown })?.code;
    const unreachable = typeof code === 'string' && CONNECTION_CODES.has(code);
    throw new StartupError(
      unreachable
        ? `cannot reach Postgres at ${where}: ${reason(err)}`
        : `cannot prepare the database at ${where}: ${reason(err)}`,
      EXIT.postgres,
    );
  }
}

async function answers(host: string, port: number, url: string | undefined): Promise<string | null> {
  const opts = {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 1_000,
  };
  const redis = url ? new Redis(url, opts) : new Redis({ host, port, ...opts });
  // The socket's error says why ("connect ECONNREFUSED ..."); the rejected connect only that it closed.
  let socketError: unknown;
  redis.on('error', (err) => {
    socketError ??= err;
  });
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (err) {
    return reason(socketError ?? err);
  } finally {
    redis.disconnect();
  }
}

/**
 * Waits until Redis answers (one seed of a cluster is enough to start; the cluster client finds the
 * rest): one line when it does not, one when it comes, nothing in between.
 */
export async function waitForRedis(
  config: Config,
  log: Logger,
  opts: { maxDelayMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<void> {
  const sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const targets = config.REDIS_CLUSTER_NODES
    ? clusterSeeds(config.REDIS_CLUSTER_NODES).map((s) => ({ ...s, url: undefined }))
    : [{ host: '', port: 0, url: config.REDIS_URL }];
  const where = config.REDIS_CLUSTER_NODES ?? redactUrl(config.REDIS_URL);
  const started = Date.now();
  let delay = 250;
  for (let attempt = 0; ; attempt++) {
    let why: string | null = 'no seed';
    for (const t of targets) {
      why = await answers(t.host, t.port, t.url);
      if (why === null) break;
    }
    if (why === null) {
      if (attempt > 0)
        log.info('redis is reachable; starting', { redis: where, waitedMs: Date.now() - started });
      return;
    }
    if (attempt === 0) log.warn(`waiting for Redis at ${where} (${why}); retrying until it answers`);
    await sleep(delay);
    delay = Math.min(delay * 2, opts.maxDelayMs ?? 2_000);
  }
}

/** The message and exit code of a start that cannot succeed, or null for an unexpected failure. */
export function startupFailure(err: unknown): { message: string; exitCode: number } | null {
  if (err instanceof StartupError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof ListenError) return { message: err.message, exitCode: EXIT.port };
  return null;
}
