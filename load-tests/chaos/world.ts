import { Redis } from 'ioredis';
import { type PrivateRedis, startPrivateRedis } from '../../src/testing/redis-server.ts';
import { startTcpProxy, type TcpProxy } from '../../src/testing/tcp-proxy.ts';
import { trackPid } from '../lib/children.ts';
import { startFleet } from '../lib/fleet.ts';
import { freePorts } from '../lib/ports.ts';
import { type ServiceProcess, spawnService, waitReady } from '../lib/processes.ts';
import { scratch } from '../lib/scratch.ts';
import type { Mode } from './plan.ts';

export const ADMIN_TOKEN = 'chaos-admin-token';
export const JWT_SECRET = 'chaos-jwt-secret';

export interface WorldOptions {
  name: string;
  mode: Mode;
  apis: number;
  /** redis-server flags of the primary (persistence). */
  redisArgs: string[];
  /** A replica of the primary (always in `replica` mode). */
  replica: boolean;
  /** Added to the fleet's environment. */
  env?: Record<string, string>;
  /** Every log line of every service process. */
  onLine?: (name: string, line: string) => void;
  onExit?: (name: string, code: number | null) => void;
}

/**
 * One run's private world: its own redis-server (and replica), a TCP proxy in front of it (a failover
 * moves the address) and one in front of Postgres (a cut), a scratch database and key prefix, and a fleet
 * of API processes plus a worker using them. Never the shared servers.
 */
export interface World {
  mode: Mode;
  /** The fleet's environment (the CLI reconciler runs with it too). */
  env: Record<string, string>;
  bases: string[];
  /** The scratch database, direct (not through the proxy): the verdict reads it. */
  databaseUrl: string;
  redis: { primary: PrivateRedis; replica: PrivateRedis | undefined };
  redisProxy: TcpProxy;
  postgresProxy: TcpProxy;
  /** API instances and workers, the ones started later included. */
  processes: ServiceProcess[];
  /** Bases of API processes neither killed nor exited (clients skip the others). */
  liveBases(): string[];
  /** kill -9 a service process; its exit is expected. */
  kill(p: ServiceProcess): Promise<void>;
  spawnWorker(name: string): Promise<ServiceProcess>;
  /** A new private redis-server (stopped with the world); `replicaOf` waits for its link to be up. */
  startRedis(args: string[], replicaOf?: PrivateRedis): Promise<PrivateRedis>;
  /** Runs at teardown, before the servers stop (busy loops, clients). */
  onTeardown(fn: () => Promise<void> | void): void;
  teardown(): Promise<void>;
}

const running = (p: ServiceProcess) => p.child.exitCode === null && p.child.signalCode === null;

/** A short-lived client on one server, for the operator's own commands (REPLICAOF, INFO). */
export async function withRedis<T>(server: PrivateRedis, work: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    return await work(r);
  } finally {
    r.disconnect();
  }
}

async function waitForLink(replica: PrivateRedis, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const info = await withRedis(replica, (r) => r.info('replication')).catch(() => '');
    if (/master_link_status:up/.test(info)) return;
    if (Date.now() > until) throw new Error(`replica on ${replica.port} never linked up`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startWorld(opts: WorldOptions): Promise<World> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const teardownFns: (() => Promise<void> | void)[] = [];
  const dead = new Set<ServiceProcess>();
  const processes: ServiceProcess[] = [];
  let fleetEnv: Record<string, string> = {};

  const startRedis = async (args: string[], replicaOf?: PrivateRedis) => {
    const extra = replicaOf ? ['--replicaof', '127.0.0.1', String(replicaOf.port)] : [];
    // A replica joins at once (Redis 7 otherwise waits 5 s for more replicas before a diskless sync).
    const server = await startPrivateRedis(['--repl-diskless-sync-delay', '0', ...args, ...extra]);
    const untrack = trackPid(`redis-${server.port}`, () => server.pid);
    cleanups.push(async () => {
      await server.stop();
      untrack();
    });
    if (replicaOf) await waitForLink(server);
    return server;
  };
  const spawnOne = (name: string, role: 'api' | 'worker', port?: number) => {
    const p = spawnService({
      name,
      ...(port === undefined ? {} : { port }),
      env: { ...fleetEnv, ROLE: role },
      onLine: (line) => opts.onLine?.(name, line),
    });
    void p.exited.then((code) => {
      if (!dead.has(p)) opts.onExit?.(name, code);
    });
    processes.push(p);
    return p;
  };
  const stopProcesses = async () => {
    for (const p of processes) dead.add(p);
    await Promise.all(processes.map((p) => p.stop(5_000)));
  };
  let tornDown: Promise<void> | undefined;
  const teardown = () => {
    tornDown ??= runTeardown();
    return tornDown;
  };
  const runTeardown = async () => {
    for (const fn of [...teardownFns, stopProcesses, ...cleanups.reverse()]) {
      await Promise.resolve()
        .then(fn)
        .catch((err: unknown) => console.error('teardown step failed:', err));
    }
  };

  try {
    const primary = await startRedis(opts.redisArgs);
    const replica = opts.replica ? await startRedis([], primary) : undefined;
    const redisProxy = await startTcpProxy('127.0.0.1', primary.port);
    cleanups.push(() => redisProxy.close());
    const data = scratch(`chaos_${opts.name}`, { redisUrl: null });
    cleanups.push(() => data.cleanup());
    const direct = new URL(data.databaseUrl);
    const postgresProxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
    cleanups.push(() => postgresProxy.close());
    const viaProxy = new URL(data.databaseUrl);
    viaProxy.port = String(postgresProxy.port);
    fleetEnv = {
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
      REDIS_CLUSTER_NODES: '',
      DATABASE_URL: viaProxy.toString(),
      REDIS_PREFIX: data.prefix,
      ADMIN_TOKEN,
      JWT_SECRET,
      ACK_DURABILITY: opts.mode,
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_ADDRESS_PER_SECOND: '0',
      PENDING_GRACE_MS: '3000',
      RECONCILE_EVERY_MS: '2000',
      LOG_LEVEL: 'warn',
      ...opts.env,
    };
    // The fleet's own start (migrations, readiness) is startFleet's; its processes join this world's list.
    const fleet = await startFleet({
      apis: opts.apis,
      workers: 1,
      basePort: await freePorts(opts.apis),
      env: fleetEnv,
      onLine: (name, line) => opts.onLine?.(name, line),
      onUnexpectedExit: (name, code) => {
        if (!processes.some((p) => p.name === name && dead.has(p))) opts.onExit?.(name, code);
      },
    });
    processes.push(...fleet.processes);
    return {
      mode: opts.mode,
      env: fleetEnv,
      bases: fleet.urls,
      databaseUrl: data.databaseUrl,
      redis: { primary, replica },
      redisProxy,
      postgresProxy,
      processes,
      liveBases: () => processes.filter((p) => p.url && !dead.has(p) && running(p)).map((p) => p.url!),
      async kill(p) {
        dead.add(p);
        process.kill(p.pid, 'SIGKILL');
        await p.exited;
      },
      async spawnWorker(name) {
        const p = spawnOne(name, 'worker');
        await waitReady(p);
        return p;
      },
      startRedis,
      onTeardown: (fn) => void teardownFns.push(fn),
      teardown,
    };
  } catch (err) {
    await teardown();
    throw err;
  }
}
