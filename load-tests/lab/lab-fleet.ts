import { Redis } from 'ioredis';
import postgres from 'postgres';
import { type PrivateRedis, startPrivateRedis } from '../../src/testing/redis-server.ts';
import { trackPid } from '../lib/children.ts';
import { type ServiceProcess, spawnService, waitReady } from '../lib/processes.ts';
import type { Ledger } from './count.ts';
import type { LabScenario } from './scenario.ts';
import { LAB_TABLES } from './strategies/ledger.ts';
import { type Counters, newCounters, type Strategy } from './strategies/strategy.ts';

interface LabStats {
  inFlight: number;
  counters: Record<string, Counters>;
}

/** Independent Redis masters the Redlock strategy votes on, started and stopped by the lab. */
const REDLOCK_NODES = 3;

/**
 * The lab's app processes (load-tests/lab/main.ts), the Redlock nodes (private redis-servers on free
 * loopback ports, stopped by pid), and the harness' own connections to the same stores.
 */
export interface LabFleet {
  urls: string[];
  processes: ServiceProcess[];
  sql: postgres.Sql;
  redis: Redis;
  /** Fresh tables (plus the strategy's DDL), stocked products, no locks left, counters at zero. */
  prepare(strategy: Strategy, scenario: LabScenario): Promise<void>;
  /** Waits until no process has a request in flight, then sums the strategy's counters. */
  settle(strategyId: string): Promise<Counters>;
  ledger(scenario: LabScenario): Promise<Ledger>;
  stop(): Promise<void>;
}

export async function startLabFleet(opts: {
  instances: number;
  basePort: number;
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  /** A request waiting longer than this for its turn is answered 503 (keep it below the client timeout). */
  maxWaitMs: number;
  onLine?: (name: string, line: string) => void;
}): Promise<LabFleet> {
  const admin = new URL(opts.databaseUrl);
  const database = admin.pathname.slice(1);
  admin.pathname = '/postgres';
  const server = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  await server.unsafe(`create database "${database}"`).catch((err: { code?: string }) => {
    if (err.code !== '42P04') throw err;
  });
  await server.end();
  const sql = postgres(opts.databaseUrl, { max: 2, onnotice: () => {} });
  const redis = new Redis(opts.redisUrl);
  for (const ddl of LAB_TABLES) await sql.unsafe(ddl);
  const nodes: PrivateRedis[] = [];
  const nodeClients: Redis[] = [];
  // Registered so that the runner's stopOnExit() stops them too if the lab crashes.
  const untrackNodes: (() => void)[] = [];
  const stopNodes = async () => {
    for (const c of nodeClients) c.disconnect();
    await Promise.all(nodes.map((n) => n.stop()));
    for (const untrack of untrackNodes) untrack();
  };
  try {
    for (let i = 0; i < REDLOCK_NODES; i++) {
      const node = await startPrivateRedis();
      nodes.push(node);
      untrackNodes.push(trackPid(`redlock-${i + 1}`, () => node.pid));
    }
  } catch (err) {
    await stopNodes();
    await sql.end({ timeout: 2 });
    redis.disconnect();
    throw err;
  }
  nodeClients.push(...nodes.map((n) => new Redis(n.url)));

  const processes = Array.from({ length: opts.instances }, (_, i) =>
    spawnService({
      name: `lab-${i + 1}`,
      entry: 'load-tests/lab/main.ts',
      port: opts.basePort + i,
      env: {
        LAB_DATABASE_URL: opts.databaseUrl,
        LAB_REDIS_URL: opts.redisUrl,
        LAB_PREFIX: opts.prefix,
        LAB_MAX_WAIT_MS: String(opts.maxWaitMs),
        LAB_REDLOCK_URLS: nodes.map((n) => n.url).join(','),
      },
      onLine: (line) => opts.onLine?.(`lab-${i + 1}`, line),
    }),
  );
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop(5_000)));
    await stopNodes();
    await sql.end({ timeout: 2 });
    redis.disconnect();
  };
  try {
    await Promise.all(processes.map((p) => waitReady(p)));
  } catch (err) {
    await stop();
    throw err;
  }
  const urls = processes.map((p) => p.url!);

  return {
    urls,
    processes,
    sql,
    redis,
    async prepare(strategy, scenario) {
      for (const ddl of [...LAB_TABLES, ...(strategy.ddl ?? [])]) await sql.unsafe(ddl);
      await sql`insert into lab_products ${sql(
        Array.from({ length: scenario.products }, (_, i) => ({ id: i + 1, stock: scenario.stock })),
      )}`;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${opts.prefix}:lock:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
      // The Redlock nodes belong to the lab alone.
      await Promise.all(nodeClients.map((c) => c.flushall()));
      await Promise.all(urls.map((u) => fetch(`${u}/reset`, { method: 'POST' })));
    },
    async settle(strategyId) {
      // Clients may have given up on requests the processes still work on; wait until none is left.
      const until = Date.now() + 60_000;
      for (;;) {
        const all = await Promise.all(
          urls.map(async (u) => (await (await fetch(`${u}/stats`)).json()) as LabStats),
        );
        const busy = all.reduce((n, s) => n + s.inFlight, 0);
        if (busy > 0 && Date.now() > until)
          throw new Error(
            `${strategyId}: ${busy} requests still in flight 60 s after the run; the tally would be early`,
          );
        if (busy === 0) {
          const sum = newCounters();
          for (const s of all) {
            for (const k of Object.keys(sum) as (keyof Counters)[])
              sum[k] += s.counters[strategyId]?.[k] ?? 0;
          }
          return sum;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    ledger: (scenario) => readLabLedger(sql, scenario),
    stop,
  };
}

/** What the lab tables hold now, as the counting function takes it. */
export async function readLabLedger(sql: postgres.Sql, scenario: LabScenario): Promise<Ledger> {
  const products = await sql<{ id: number; stock: number }[]>`select id, stock from lab_products`;
  const lines = await sql<{ order_id: string; user_id: string; product_id: number }[]>`
    select order_id, user_id, product_id from lab_claims`;
  return {
    initial: new Map(Array.from({ length: scenario.products }, (_, i) => [i + 1, scenario.stock])),
    final: new Map(products.map((p) => [p.id, p.stock])),
    lines: lines.map((l) => ({ orderId: l.order_id, userId: l.user_id, productId: l.product_id })),
  };
}
