import { z } from 'zod';

const DEV_ADMIN_TOKEN = 'dev-admin-token';
const DEV_JWT_SECRET = 'dev-jwt-secret-change-me';
const DEV_SERVICE_TOKEN = 'dev-service-token';

const roles = ['all', 'api', 'worker'] as const;
export type Role = (typeof roles)[number];

const int = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

/** Every setting the service reads from the environment, in one schema, read once at start. */
const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  ROLE: z.enum(roles).default('all'),
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  /**
   * `host:port` seeds of a Redis Cluster, comma-separated. When set, everything (claims, the queue,
   * pub/sub, the reconciler) runs on the cluster and REDIS_URL is not used.
   */
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^[^,:\s]+:\d{1,5}(,[^,:\s]+:\d{1,5})*$/, 'comma-separated host:port pairs')
    .optional(),
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/flashsale'),
  /**
   * Postgres connections one process may open (default 10). `?max=` in DATABASE_URL says the same when
   * this is unset; when both are given they must agree (the pool is set in one place, never silently).
   */
  PG_POOL_MAX: z.coerce.number().int().min(1).max(1000).optional(),
  ADMIN_TOKEN: z.string().min(1).default(DEV_ADMIN_TOKEN),
  JWT_SECRET: z.string().min(1).default(DEV_JWT_SECRET),
  /** The order system's credential: it looks coupons up and redeems them. */
  SERVICE_TOKEN: z.string().min(1).default(DEV_SERVICE_TOKEN),
  RECONCILE_EVERY_MS: int(1000, 60_000),
  /**
   * When a claim is answered 201: `redis` once the script ran (the pending record is in Redis), `replica`
   * once a replica holds it too (WAIT), `postgres` once its row is committed (batched).
   */
  ACK_DURABILITY: z.enum(['redis', 'replica', 'postgres']).default('redis'),
  /** How long `replica` and `postgres` wait for that before answering 503 (outcome unknown). */
  ACK_TIMEOUT_MS: int(10, 1_000),
  /** Key namespace in Redis; lets several deployments (or test files) share one Redis. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,32}$/)
    .default('fs'),
  /** How long an Idempotency-Key is remembered. */
  IDEMPOTENCY_TTL_SECONDS: int(60, 86_400),
  /**
   * Claims a user may attempt per second on one campaign before 429: counted in Redis (shared by every
   * instance, a sliding window), and per instance as a cheap first line.
   */
  RATE_LIMIT_PER_SECOND: int(1, 20),
  /** Claims one client address may attempt per second on one campaign (0: no limit), counted in Redis. */
  RATE_LIMIT_ADDRESS_PER_SECOND: int(0, 1_000),
  /** Failed authentications one client address may make per minute before it is refused (0: no limit). */
  AUTH_FAILURES_PER_MINUTE: int(0, 300),
  /**
   * How many proxies in front of the service to trust: 0 takes the client address from the socket; n
   * takes the n-th address from the right of X-Forwarded-For (the one the outermost trusted proxy saw).
   */
  TRUST_PROXY_HOPS: int(0, 0),
  /** Accepted claims are handed to the queue in batches of at most this many... */
  ENQUEUE_BATCH_MAX: int(1, 500),
  /**
   * ...or after this many milliseconds, whichever comes first. The claim is acknowledged before this
   * (its pending record is already durable in Redis), so the window costs persistence lag, not latency;
   * a short one makes a persist job per couple of claims, which is most of the queue's cost.
   */
  ENQUEUE_FLUSH_MS: int(0, 20),
  /** Persist jobs one worker process runs at once; their claims are merged into shared INSERTs. */
  WORKER_CONCURRENCY: int(1, 8),
  /** Largest multi-row INSERT the worker sends. */
  PERSIST_BATCH_MAX: int(1, 1000),
  /** A pending claim older than this is considered lost in transit by the reconciler. */
  PENDING_GRACE_MS: int(0, 30_000),
  /** Scheduled reconciliation covers campaigns that have not ended or ended within this window. */
  RECONCILE_LOOKBACK_MS: int(0, 86_400_000),
  /** During a rebuild, how long claims are held off before the queue is read (lets in-flight enqueues land). */
  REBUILD_SETTLE_MS: int(0, 1_000),
  /**
   * How long an instance may answer a sold-out campaign's claims from its own snapshot (changes to the
   * campaign drop it at once, through pub/sub); 0 turns the shortcut off.
   */
  SOLD_OUT_CACHE_MS: int(0, 30_000),
  /**
   * A claim whose home bucket is empty is sold by another bucket within this long, or not at all (its
   * hold at home then lapses; the reconciler resolves holds left past it).
   */
  BUCKET_HOLD_MS: int(100, 5_000),
  /**
   * A gift pack's reservations wait this long for the press to be decided; past it (the instance died
   * or stalled) the reconciler settles them from the press' decision, "abort" when there is none.
   */
  BUNDLE_HOLD_MS: int(100, 5_000),
  /** Campaigns with more winners than this are not snapshotted (memory per instance). */
  SOLD_OUT_CACHE_MAX_WINNERS: int(0, 200_000),
  /** A Redis command on the request path that takes longer than this fails (503). */
  REDIS_COMMAND_TIMEOUT_MS: int(10, 500),
  SHUTDOWN_TIMEOUT_MS: int(100, 15_000),
  /** Open connections one instance accepts; more are refused at once (a public endpoint needs a cap). */
  HTTP_MAX_CONNECTIONS: int(1, 20_000),
  /** A whole request (headers and body) must arrive within this; a slow client is cut off with 408. */
  HTTP_REQUEST_TIMEOUT_MS: int(100, 10_000),
  /** The headers of a request must arrive within this. */
  HTTP_HEADERS_TIMEOUT_MS: int(100, 5_000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /**
   * Access log lines of the hot claim routes: `all`, `errors` (5xx only), or a fraction such as 0.01 (5xx
   * always). Every other route logs every request. Measured: `all` costs about 7% more API CPU per claim
   * (one JSON line each), so the default keeps 1% of the answers, and every 5xx.
   */
  ACCESS_LOG_CLAIMS: z
    .string()
    .regex(/^(all|errors|0|1|0?\.\d+)$/, 'all, errors, or a fraction from 0 to 1')
    .default('0.01')
    .transform((v): 'all' | 'errors' | number => (v === 'all' || v === 'errors' ? v : Number(v))),
});

export type Config = Readonly<Omit<z.infer<typeof schema>, 'PG_POOL_MAX'> & { PG_POOL_MAX: number }>;

const DEFAULT_PG_POOL_MAX = 10;

/** PG_POOL_MAX, or `?max=` of DATABASE_URL, or the default; both given and different is a mistake. */
function poolMax(env: { PG_POOL_MAX?: number | undefined; DATABASE_URL: string }): number | string {
  const raw = new URL(env.DATABASE_URL).searchParams.get('max');
  if (raw === null) return env.PG_POOL_MAX ?? DEFAULT_PG_POOL_MAX;
  const fromUrl = Number(raw);
  if (!/^\d{1,4}$/.test(raw) || fromUrl < 1)
    return `DATABASE_URL: ?max=${raw} is not a pool size (1 or more)`;
  if (env.PG_POOL_MAX !== undefined && env.PG_POOL_MAX !== fromUrl)
    return `PG_POOL_MAX=${env.PG_POOL_MAX} and ?max=${raw} in DATABASE_URL disagree; set one of them`;
  return fromUrl;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses the environment (or any record of strings) into a Config; throws ConfigError with every problem.
 * `defaults` are used where the environment says nothing (a CLI's quieter log level, say).
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  defaults: Record<string, string> = {},
): Config {
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse({ ...defaults, ...given });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const pool = poolMax(parsed.data);
  if (typeof pool === 'string') throw new ConfigError(`invalid configuration:\n  ${pool}`);
  const config = { ...parsed.data, PG_POOL_MAX: pool };
  if (config.NODE_ENV === 'production') {
    const weak = [
      ['ADMIN_TOKEN', config.ADMIN_TOKEN, DEV_ADMIN_TOKEN, 24],
      ['SERVICE_TOKEN', config.SERVICE_TOKEN, DEV_SERVICE_TOKEN, 24],
      ['JWT_SECRET', config.JWT_SECRET, DEV_JWT_SECRET, 32],
    ] as const;
    const problems = weak
      .filter(([, value, dev, min]) => value === dev || value.length < min)
      .map(([name, , , min]) => `${name} set to a secret of at least ${min} characters`);
    if (problems.length > 0) throw new ConfigError(`production needs ${problems.join('; ')}`);
  }
  return Object.freeze(config);
}
