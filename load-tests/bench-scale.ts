/**
 * npm run bench:scale -- [--claims 1000000] [--small 1000] [--window 5] [--concurrency 32] [--repeats 3]
 *
 * Issue 12 item 6, measured on a private redis-server (so SLOWLOG and INFO memory are this run's alone):
 *  - Redis memory per pending and per persisted claim (INFO memory used_memory, before and after);
 *  - claim p50/p99 on the same server while reconciliation passes run back to back (in a process of
 *    their own, as the worker runs them) on a campaign with `--claims` persisted claims vs one with
 *    `--small`, in alternating windows, as a ratio (goal: within 1.2x); the claims go to a third campaign,
 *    so neither measured campaign grows while it is measured;
 *  - the slowest commands the service sent meanwhile (SLOWLOG, logged from 1 ms; goal: none above 10 ms).
 * The claims are made by the real claim script (in-process, many at once, ioredis pipelining them) and
 * persisted as the worker does (persistClaims: multi-row INSERT, then mark_persisted.lua), not over HTTP.
 * Writes load-tests/results/scale.json and scale.html.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createServices, type Services } from '../src/bootstrap/services.ts';
import { createBucketDirectory } from '../src/claim/bucket-directory.ts';
import { createClaimService } from '../src/claim/claim.service.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import type { Claim } from '../src/domain/claim.ts';
import { scriptDefs } from '../src/redis/scripts/index.ts';
import { scriptSource } from '../src/redis/scripts/source.ts';
import { createLogger } from '../src/shared/logger.ts';
import { type PrivateRedis, startPrivateRedis } from '../src/testing/redis-server.ts';
import { persistClaims } from '../src/worker/persist.worker.ts';
import { median, round2 } from './bench/rounds.ts';
import {
  type CommandLatency,
  type ScaleFigures,
  type SlowEntry,
  scaleReport,
  scaleTable,
} from './bench/scale-report.ts';
import { stopOnExit, trackPid } from './lib/children.ts';
import { projectRoot, type ServiceProcess, spawnService, waitReady } from './lib/processes.ts';
import { recordAnswer, renamePhase, setPhase, watchProgress } from './lib/progress.ts';
import { scratch } from './lib/scratch.ts';
import { summarize } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    claims: { type: 'string', default: '1000000' },
    small: { type: 'string', default: '1000' },
    window: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '32' },
    repeats: { type: 'string', default: '3' },
  },
});
const BIG = Number(values.claims);
const SMALL = Number(values.small);
const WINDOW_S = Number(values.window);
const CONCURRENCY = Number(values.concurrency);
const REPEATS = Number(values.repeats);
/** The first claims of the big campaign are measured pending, then persisted. */
const PROBE = Math.min(50_000, BIG);
const SLOWLOG_FROM_US = 1_000;
const run = Date.now().toString(36);

/**
 * Each command's server-side latency percentiles (Redis 7 latency tracking; commands called from scripts
 * counted as such) with its calls, from INFO latencystats and commandstats. Unlike SLOWLOG's maximum, a
 * percentile over thousands of calls is not moved by a few calls during which the shared machine
 * descheduled Redis.
 */
function serverLatency(latencystats: string, commandstats: string): CommandLatency[] {
  const calls = new Map(
    [...commandstats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]),
  );
  return [
    ...latencystats.matchAll(/^latency_percentiles_usec_([^:]+):p50=([\d.]+),p99=([\d.]+),p99\.9=([\d.]+)/gm),
  ]
    .map((m) => ({
      command: m[1]!,
      calls: calls.get(m[1]!) ?? 0,
      p50Us: Number(m[2]),
      p99Us: Number(m[3]),
      p999Us: Number(m[4]),
    }))
    .filter((c) => !['slowlog', 'config', 'info'].includes(c.command))
    .sort((a, b) => b.calls - a.calls);
}

let redisServer: PrivateRedis | undefined;
let services: Services | undefined;
let loop: ServiceProcess | undefined;
const resources = scratch('benchscale', { redisUrl: null });
let cleaning: Promise<void> | undefined;
const cleanup = () => {
  cleaning ??= (async () => {
    await loop?.stop();
    await services?.close();
    await redisServer?.stop();
    await resources.cleanup();
  })();
  return cleaning;
};
stopOnExit({ onStop: cleanup });
const stopProgress = watchProgress();

/** A plain client on the private server, for INFO, CONFIG and SLOWLOG (the operator's commands). */
let ops: Redis | undefined;
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await ops!.info('memory'))![1]);

try {
  redisServer = await startPrivateRedis([
    '--slowlog-log-slower-than',
    String(SLOWLOG_FROM_US),
    '--slowlog-max-len',
    '100000',
  ]);
  trackPid(`redis-${redisServer.port}`, () => redisServer?.pid);
  ops = new Redis(redisServer.url);
  const env = {
    REDIS_URL: redisServer.url,
    REDIS_CLUSTER_NODES: '',
    DATABASE_URL: resources.databaseUrl,
    REDIS_PREFIX: resources.prefix,
    LOG_LEVEL: 'warn',
  };
  const config: Config = loadConfig({ ...process.env, ...env });
  const log = createLogger(config.LOG_LEVEL);
  await migrateDatabase(config.DATABASE_URL);
  services = createServices(config, log);
  const svc = services;
  const accepted: Claim[] = [];
  const claims = createClaimService({
    redis: svc.clients.router,
    keyPrefix: config.REDIS_PREFIX,
    idempotencyTtlSeconds: 60,
    acknowledger: { acknowledge: async (c) => void accepted.push(c) },
    restoreIfKnown: async () => false,
    directory: createBucketDirectory({ emptyMs: 0 }),
    holdMs: 5_000,
    storedOfUser: svc.repos.coupons.ofUser,
  });
  const persistDeps = {
    repo: svc.repos.claims,
    redis: svc.clients.router,
    keyPrefix: config.REDIS_PREFIX,
    log,
  };
  /** Persists what was accepted so far, as the worker does (batches of PERSIST_BATCH_MAX). */
  const persistAccepted = async () => {
    const batch = accepted.splice(0, accepted.length);
    for (let i = 0; i < batch.length; i += config.PERSIST_BATCH_MAX)
      await persistClaims(persistDeps, batch.slice(i, i + config.PERSIST_BATCH_MAX));
  };
  const window = {
    startsAt: new Date(Date.now() - 60_000),
    endsAt: new Date(Date.now() + 86_400_000),
    perUserLimit: 1,
    buckets: 1,
    returnExpired: false,
  };
  // Stock for the seeded claims and for every window's claims after them.
  const headroom = 2 * REPEATS * WINDOW_S * 50_000;
  const small = await svc.admin.create(
    { id: `small-${run}`, name: 'bench', totalStock: SMALL + headroom, ...window },
    { actor: 'bench' },
  );
  const big = await svc.admin.create(
    { id: `big-${run}`, name: 'bench', totalStock: BIG + headroom, ...window },
    { actor: 'bench' },
  );
  // The windows' claims go to a third campaign on the same server (the shard every claim shares with the
  // pass), so the small campaign stays at --small and the big one at --claims while they are measured.
  const probe = await svc.admin.create(
    { id: `probe-${run}`, name: 'bench', totalStock: headroom, ...window },
    { actor: 'bench' },
  );
  let userSeq = 0;
  /** `n` claims by new users, `inFlight` at a time; persisting the previous chunk overlaps the next. */
  const seed = async (campaignId: string, n: number, persist: boolean) => {
    const chunk = 2_000;
    let persisting: Promise<void> = Promise.resolve();
    setPhase(`seeding ${campaignId}`);
    for (let i = 0; i < n; i += chunk) {
      renamePhase(`seeding ${campaignId}: ${i} of ${n}`);
      await Promise.all(
        Array.from({ length: Math.min(chunk, n - i) }, async () => {
          const t = performance.now();
          const out = await claims.claim({ campaignId, userId: `u${userSeq++}` });
          if (out.kind !== 'claimed') throw new Error(`seeding: ${out.kind}`);
          recordAnswer(201, performance.now() - t);
        }),
      );
      if (persist) {
        await persisting;
        persisting = persistAccepted();
      }
    }
    await persisting;
  };

  setPhase('seeding the small campaign');
  await ops.slowlog('RESET');
  await seed(small.id, SMALL, true);
  const baseline = await usedMemory();
  const seedStarted = performance.now();
  await seed(big.id, PROBE, false);
  const withPending = await usedMemory();
  await persistAccepted();
  const probePersisted = await usedMemory();
  await seed(big.id, BIG - PROBE, true);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const afterBig = await usedMemory();
  const seedingSlow = (await ops.slowlog('GET', 100_000)) as unknown[];
  // EVALSHA entries named by their script (the sha of the text Redis runs).
  const scriptOf = new Map(
    scriptDefs.map((d) => [createHash('sha1').update(scriptSource(d.file)).digest('hex'), d.file]),
  );
  const slowOf = (entries: unknown[]): SlowEntry[] =>
    (entries as [number, number, number, string[]][]).map(([, , us, args]) => ({
      ms: us / 1000,
      command:
        args[0]?.toLowerCase() === 'evalsha'
          ? `evalsha ${scriptOf.get(args[1] ?? '') ?? args[1]}`
          : args.slice(0, 2).join(' ').slice(0, 70),
    }));

  // Claims while passes run, alternating between the campaigns; SLOWLOG read per window, so a slow entry
  // that only the big campaign's windows show stands out from this shared machine's noise (a Redis
  // process descheduled mid-command logs any command as slow, an HGET included).
  const windows: ScaleFigures['latency']['windows'] = [];
  const measuredSlow: SlowEntry[] = [];
  for (let r = 0; r < REPEATS; r++) {
    for (const [name, c] of (r % 2 === 0
      ? [
          ['small', small],
          ['big', big],
        ]
      : [
          ['big', big],
          ['small', small],
        ]) as ['small' | 'big', typeof small][]) {
      setPhase(`${name}: starting the reconcile loop`);
      const passes: { startMs: number; endMs: number }[] = [];
      loop = spawnService({
        name: 'reconcile-loop',
        entry: 'load-tests/bench/reconcile-loop.ts',
        env: { ...env, BENCH_CAMPAIGN: c.id },
        onLine: (line, stream) => {
          if (stream === 'stdout' && line.startsWith('{')) passes.push(JSON.parse(line));
          else if (line.includes('"level":"error"')) console.error(`[reconcile-loop] ${line}`);
        },
      });
      await waitReady(loop);
      setPhase(`${name} (${name === 'big' ? BIG : SMALL} claimed), claims while passes run`);
      await ops.slowlog('RESET');
      await ops.config('RESETSTAT');
      const done: { startMs: number; endMs: number; ms: number }[] = [];
      const until = performance.now() + WINDOW_S * 1000;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (performance.now() < until) {
            const startMs = Date.now();
            const t = performance.now();
            const out = await claims.claim({ campaignId: probe.id, userId: `w${userSeq++}` });
            const ms = performance.now() - t;
            recordAnswer(out.kind === 'claimed' ? 201 : 500, ms);
            if (out.kind !== 'claimed') throw new Error(`window claim: ${out.kind}`);
            done.push({ startMs, endMs: Date.now(), ms });
          }
        }),
      );
      const slow = slowOf((await ops.slowlog('GET', 100_000)) as unknown[]);
      const commands = serverLatency(await ops.info('latencystats'), await ops.info('commandstats'));
      measuredSlow.push(...slow);
      await loop.stop();
      loop = undefined;
      // Only claims that overlapped a pass count.
      const during = done.filter((d) => passes.some((p) => d.startMs <= p.endMs && d.endMs >= p.startMs));
      const lat = summarize(during.map((d) => d.ms));
      windows.push({
        campaign: name,
        p50: lat.p50,
        p99: lat.p99,
        claims: during.length,
        passes: passes.length,
        passMs: passes.map((p) => p.endMs - p.startMs),
        slowMaxMs: Math.max(0, ...slow.map((e) => e.ms)),
        slowOver10Ms: slow.filter((e) => e.ms > 10).length,
        slowest: [...slow].sort((a, b) => b.ms - a.ms).slice(0, 3),
        commands,
      });
      console.log(
        `${name.padEnd(5)} (${name === 'big' ? BIG : SMALL} claimed): ${during.length} claims during ${passes.length} passes ` +
          `(median pass ${median(passes.map((p) => p.endMs - p.startMs))} ms): p50 ${lat.p50} ms p99 ${lat.p99} ms; ` +
          `SLOWLOG max ${Math.max(0, ...slow.map((e) => e.ms))} ms`,
      );
      await persistAccepted();
    }
  }
  setPhase('');
  const of = (name: 'small' | 'big') => windows.filter((w) => w.campaign === name);
  const pairs = Array.from({ length: REPEATS }, (_, r) => ({ small: of('small')[r]!, big: of('big')[r]! }));
  const bytesPerPersisted = (afterBig - baseline) / BIG;
  const figures: ScaleFigures = {
    machine: `${process.platform} ${process.arch}, ${cpus().length} cores, node ${process.version}`,
    setup: `private redis-server ${redisServer.port}; ${BIG} and ${SMALL} persisted claims; ${REPEATS} alternating windows of ${WINDOW_S} s per campaign, ${CONCURRENCY} claims in flight (in-process claim script), reconcile passes back to back in a separate process on the campaign measured, the window's claims on a third campaign of the same server`,
    memory: {
      bytesPerPendingClaim: Math.round((withPending - baseline) / PROBE),
      bytesPerPersistedClaim: Math.round(bytesPerPersisted),
      probeBytesPerPersistedClaim: Math.round((probePersisted - baseline) / PROBE),
      usedMemoryBytes: { baseline, withPending, afterBig },
      saleOf1e6MB: Math.round((bytesPerPersisted * 1e6) / 1e6),
      saleOf1e7MB: Math.round((bytesPerPersisted * 1e7) / 1e6),
    },
    seeding: {
      claims: BIG,
      seconds: Math.round(seedSeconds),
      claimsPerSecond: Math.round(BIG / seedSeconds),
      slowest: slowOf(seedingSlow)
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 5),
    },
    latency: {
      windows,
      p50Ratio: pairs.map((p) => round2(p.big.p50 / p.small.p50)),
      p99Ratio: pairs.map((p) => round2(p.big.p99 / p.small.p99)),
      goal: 'big within 1.2x of small',
    },
    slowlog: {
      thresholdMs: SLOWLOG_FROM_US / 1000,
      entries: measuredSlow.length,
      maxMs: Math.max(0, ...measuredSlow.map((e) => e.ms)),
      slowest: [...measuredSlow].sort((a, b) => b.ms - a.ms).slice(0, 8),
      goal: 'no command above 10 ms',
    },
  };
  console.log(`\n${scaleTable(figures)}`);
  const out = new URL('load-tests/results/', `file://${projectRoot}`);
  mkdirSync(out, { recursive: true });
  writeFileSync(new URL('scale.json', out), `${JSON.stringify(figures, null, 2)}\n`);
  const html = new URL('scale.html', out);
  writeFileSync(html, scaleReport(figures));
  console.log(`wrote load-tests/results/scale.json\nHTML report: ${html.pathname}`);
} finally {
  ops?.disconnect();
  stopProgress();
  await cleanup();
}
