/**
 * npm run load -- [--apis 5] [--workers 1] [--base-port 3001] [--out load-tests/results]
 *
 * The storm of load-tests/k6/storm.js, run from Node (no k6 needed): starts a fleet (or uses BASE_URLS),
 * creates a campaign, sends claims at the scenario's arrival rate (ramp, then hold) spread over the
 * instances, with impatient users pressing several times at once. Then it waits for persistence to drain
 * and checks the invariants against the admin stats and Postgres. Writes a JSON result and an HTML report;
 * exits 1 when an invariant fails.
 *
 * Scenario: load-tests/scenario.json, each value overridable by env as for k6 (STOCK, PEAK_RATE, ...).
 * Using an existing fleet: BASE_URLS=http://127.0.0.1:3001,... with DATABASE_URL, ADMIN_TOKEN and
 * JWT_SECRET matching that fleet.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stopOnExit } from './lib/children.ts';
import { type Fleet, startFleet } from './lib/fleet.ts';
import { projectRoot } from './lib/processes.ts';
import { barChart, lineChart, page, table } from './lib/report-html.ts';
import { arrivalsIn, loadScenario } from './lib/scenario.ts';
import { type Scratch, scratch } from './lib/scratch.ts';
import { summarize } from './lib/stats.ts';
import { runStorm } from './lib/storm.ts';

const { values } = parseArgs({
  options: {
    apis: { type: 'string', default: '5' },
    workers: { type: 'string', default: '1' },
    'base-port': { type: 'string', default: '3001' },
    out: { type: 'string', default: 'load-tests/results' },
    keep: { type: 'boolean', default: false },
  },
});

const run = Date.now().toString(36);
const ADMIN_TOKEN = process.env.ADMIN_TOKEN ?? 'dev-admin-token';
const JWT_SECRET = process.env.JWT_SECRET ?? 'dev-jwt-secret-change-me';
// A fleet started here gets its own database and key prefix (removed afterwards unless --keep); with
// BASE_URLS, DATABASE_URL must name the database of the fleet being tested.
const useExisting = (process.env.BASE_URLS ?? '') !== '';
const resources: Scratch | undefined = useExisting ? undefined : scratch('load');
const DATABASE_URL =
  resources?.databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flashsale';
const scenario = loadScenario();
const users = arrivalsIn(scenario);
if (users !== scenario.users) {
  console.warn(
    `note: the schedule makes ${users} arrivals (peakRate x (ramp/2 + hold)); scenario.users says ${scenario.users}`,
  );
}

let fleet: Fleet | undefined;
let stopping: Promise<void> | undefined;
/** Once, whether the run ends, is interrupted or crashes (stopOnExit calls it too). */
const stopFleet = () => {
  stopping ??= (async () => {
    await fleet?.stop();
    if (resources && !values.keep) await resources.cleanup();
  })();
  return stopping;
};
stopOnExit({ onStop: stopFleet });

let bases = (process.env.BASE_URLS ?? '').split(',').filter(Boolean);
if (bases.length === 0) {
  console.log(
    `starting a fleet: ${values.apis} api instances from port ${values['base-port']}, ${values.workers} worker(s)`,
  );
  fleet = await startFleet({
    apis: Number(values.apis),
    workers: Number(values.workers),
    basePort: Number(values['base-port']),
    env: {
      DATABASE_URL,
      REDIS_PREFIX: resources?.prefix ?? 'fs',
      // Every request comes from this machine's loopback address.
      RATE_LIMIT_ADDRESS_PER_SECOND: '0',
      ADMIN_TOKEN,
      JWT_SECRET,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    },
    onLine: (name, line) => {
      if (line.includes('"level":"error"')) console.error(`[${name}] ${line}`);
    },
    onUnexpectedExit: (name, code) => console.error(`${name} exited unexpectedly with ${code}`),
  });
  bases = fleet.urls;
}

const STATUS_COLORS: Record<string, string> = {
  '200': '#2563eb',
  '201': '#16a34a',
  '409': '#7c3aed',
  '410': '#d97706',
  '429': '#ca8a04',
};
const failures: string[] = [];
try {
  const campaignId = `load-${run}`;
  console.log(
    `campaign ${campaignId}: stock ${scenario.stock}, ${users} users arriving up to ${scenario.peakRate}/s ` +
      `(ramp ${scenario.rampSeconds}s, hold ${scenario.holdSeconds}s), ${Math.round(scenario.impatientShare * 100)}% ` +
      `impatient x${1 + scenario.impatientRetries}, over ${bases.length} instances`,
  );
  const storm = await runStorm({
    bases,
    adminToken: ADMIN_TOKEN,
    jwtSecret: JWT_SECRET,
    databaseUrl: DATABASE_URL,
    scenario,
    campaignId,
    onProgress: (p) => {
      const mix = Object.entries(p.statuses)
        .map(([s, n]) => `${s}:${n}`)
        .join(' ');
      process.stdout.write(
        `t=${p.elapsedS.toFixed(0).padStart(3)}s  sent ${String(p.scheduled).padStart(6)}  done ${String(p.completed).padStart(6)}  ` +
          `in flight ${String(p.inFlight).padStart(4)}  | ${mix} | last 1s: ${p.lastSecond.count}/s p50 ${p.lastSecond.p50.toFixed(1)} ms p99 ${p.lastSecond.p99.toFixed(1)} ms\n`,
      );
    },
  });
  failures.push(...storm.failures);
  console.log('\ninvariants');
  for (const c of storm.checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.what}`);
  const { drive: result, created, winners, drainMs, lag, lagRows, stats } = storm;

  const summary = {
    run,
    campaignId,
    scenario: { ...scenario, arrivals: users },
    instances: bases,
    durationS: Math.round(result.durationS * 10) / 10,
    requests: result.requests,
    throughput: Math.round(result.requests / result.durationS),
    statuses: result.statuses,
    latencyMs: result.latency,
    lateStarts: result.lateStarts,
    created,
    winners,
    drainMs,
    persistenceLagMs: lag,
    stats,
    ok: failures.length === 0,
    failures,
    timeline: result.timeline,
  };
  console.log(
    `\n${result.requests} requests in ${summary.durationS}s (${summary.throughput}/s), ` +
      `latency p50 ${result.latency.p50} ms p95 ${result.latency.p95} ms p99 ${result.latency.p99} ms; ` +
      `${created} coupons; persistence lag p50 ${lag.p50} ms p99 ${lag.p99} ms; drained ${drainMs} ms after the last answer`,
  );

  const outDir = new URL(`${values.out}/`, `file://${projectRoot}`);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(new URL('load-result.json', outDir), `${JSON.stringify(summary, null, 2)}\n`);
  const startMs = result.startedAt;
  const lagBySecond = new Map<number, number[]>();
  for (const r of lagRows) {
    const s = Math.max(0, Math.floor((Number(r.at) - startMs) / 1000));
    lagBySecond.set(s, [...(lagBySecond.get(s) ?? []), Number(r.lag)]);
  }
  const lagSeries = [...lagBySecond]
    .sort((x, y) => x[0] - y[0])
    .map(([s, xs]) => [s, summarize(xs)] as const);
  const html = page(`Flash-sale storm: ${campaignId}`, [
    `<p class="${summary.ok ? 'ok' : 'fail'}">${summary.ok ? 'All invariants held.' : `Failed: ${failures.join('; ')}`}</p>`,
    table(
      ['measure', 'value'],
      [
        ['instances', bases.length],
        ['arrivals (users)', users],
        ['requests', result.requests],
        ['duration', `${summary.durationS} s`],
        ['coupons handed out', `${created} of ${scenario.stock}`],
        [
          'latency p50 / p95 / p99',
          `${result.latency.p50} / ${result.latency.p95} / ${result.latency.p99} ms`,
        ],
        ['persistence lag p50 / p99', `${lag.p50} / ${lag.p99} ms`],
        ['drain after last answer', `${drainMs} ms`],
      ],
    ),
    lineChart({
      title: 'Answers per second',
      xLabel: 's',
      yLabel: 'per second',
      series: [
        {
          name: 'all answers',
          points: result.timeline.map((b) => [
            b.second,
            Object.values(b.statuses).reduce((n, c) => n + c, 0),
          ]),
        },
        { name: '201 claimed', points: result.timeline.map((b) => [b.second, b.statuses['201'] ?? 0]) },
        { name: '410 sold out', points: result.timeline.map((b) => [b.second, b.statuses['410'] ?? 0]) },
      ],
    }),
    lineChart({
      title: 'Latency percentiles (from the scheduled arrival)',
      xLabel: 's',
      yLabel: 'ms',
      series: (['p50', 'p95', 'p99'] as const).map((p) => ({
        name: p,
        points: result.timeline.map((b) => [b.second, b.latency[p]]),
      })),
    }),
    barChart({
      title: 'Status mix',
      bars: Object.entries(result.statuses).map(([s, n]) => ({
        label: s === '0' ? 'transport error' : `HTTP ${s}`,
        value: n,
        color: STATUS_COLORS[s] ?? (Number(s) >= 500 || s === '0' ? '#dc2626' : '#6b7280'),
      })),
    }),
    lineChart({
      title: 'Persistence lag by second of the claim (acknowledged to row in Postgres)',
      xLabel: 's',
      yLabel: 'ms',
      series: [
        { name: 'p50', points: lagSeries.map(([s, l]) => [s, l.p50]) },
        { name: 'p99', points: lagSeries.map(([s, l]) => [s, l.p99]) },
      ],
    }),
  ]);
  writeFileSync(new URL('load-report.html', outDir), html);
  console.log(
    `wrote ${values.out}/load-result.json\nHTML report: ${new URL('load-report.html', outDir).pathname}`,
  );
} catch (err) {
  failures.push(String(err));
  console.error(err);
} finally {
  await stopFleet();
}
process.exit(failures.length === 0 ? 0 : 1);
