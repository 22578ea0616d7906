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
import postgres from 'postgres';
import { signJwt } from '../src/auth/jwt.ts';
import { adminClient } from './lib/api.ts';
import { runOpenModel } from './lib/driver.ts';
import { type Fleet, startFleet } from './lib/fleet.ts';
import { projectRoot } from './lib/processes.ts';
import { barChart, lineChart, page, table } from './lib/report-html.ts';
import {
  arrivalsIn,
  arrivalTime,
  IMPATIENT_STEP,
  loadScenario,
  spread,
  WITH_KEY_STEP,
} from './lib/scenario.ts';
import { type Scratch, scratch } from './lib/scratch.ts';
import { summarize } from './lib/stats.ts';

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
const stopFleet = async () => {
  if (fleet) await fleet.stop();
  fleet = undefined;
  if (resources && !values.keep) await resources.cleanup();
};
process.on('SIGINT', () => void stopFleet().then(() => process.exit(130)));
process.on('SIGTERM', () => void stopFleet().then(() => process.exit(143)));

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
  const admin = adminClient(bases[0]!, ADMIN_TOKEN);
  const campaignId = `load-${run}`;
  await admin.createCampaign({
    id: campaignId,
    totalStock: scenario.stock,
    perUserLimit: scenario.perUserLimit,
  });
  console.log(
    `campaign ${campaignId}: stock ${scenario.stock}, ${users} users arriving up to ${scenario.peakRate}/s ` +
      `(ramp ${scenario.rampSeconds}s, hold ${scenario.holdSeconds}s), ${Math.round(scenario.impatientShare * 100)}% ` +
      `impatient x${1 + scenario.impatientRetries}, over ${bases.length} instances`,
  );

  interface UserOutcome {
    created: number;
    claimIds: Set<string>;
    withKey: boolean;
  }
  const outcomes = new Map<number, UserOutcome>();
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const result = await runOpenModel({
    arrivals: users,
    arrivalTime: (i) => arrivalTime(i, scenario),
    maxSeconds: scenario.rampSeconds + scenario.holdSeconds + 30,
    connectionsPerBase: 64,
    arrive: async (i, send) => {
      const token = signJwt({ sub: `load-${run}-${i}`, exp }, JWT_SECRET);
      const impatient = spread(i, IMPATIENT_STEP) < scenario.impatientShare;
      const withKey = impatient && spread(i, WITH_KEY_STEP) < scenario.impatientWithKeyShare;
      const presses = impatient ? 1 + scenario.impatientRetries : 1;
      const outcome: UserOutcome = { created: 0, claimIds: new Set(), withKey };
      outcomes.set(i, outcome);
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (withKey) headers['idempotency-key'] = `key-${campaignId}-${i}`;
      await Promise.all(
        Array.from({ length: presses }, async (_, a) => {
          const res = await send({
            base: bases[(i + a) % bases.length]!,
            method: 'POST',
            path: `/v1/campaigns/${campaignId}/claims`,
            headers,
          });
          if (res.status === 201) outcome.created++;
          if (res.status === 200 || res.status === 201) outcome.claimIds.add(JSON.parse(res.body).claim.id);
        }),
      );
    },
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

  // Persistence drains, then the invariants.
  const drainStarted = Date.now();
  let stats = await admin.stats(campaignId);
  while (stats.pending > 0 || stats.queue.waiting + stats.queue.active + stats.queue.delayed > 0) {
    if (Date.now() - drainStarted > 120_000) {
      failures.push('persistence did not drain within 120 s');
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
    stats = await admin.stats(campaignId);
  }
  const drainMs = Date.now() - drainStarted;

  const created = [...outcomes.values()].reduce((n, o) => n + o.created, 0);
  const winners = [...outcomes.values()].filter((o) => o.created > 0).length;
  const expected = Math.min(scenario.stock, users * scenario.perUserLimit);
  const serverErrors = Object.entries(result.statuses)
    .filter(([s]) => Number(s) >= 500 || s === '0')
    .reduce((n, [, c]) => n + c, 0);
  const overLimit = [...outcomes.values()].filter(
    (o) => o.created > scenario.perUserLimit || o.claimIds.size > scenario.perUserLimit,
  );
  const keyedMismatch = [...outcomes.values()].filter((o) => o.withKey && o.claimIds.size > 1);

  const sql = postgres(DATABASE_URL, { max: 2, onnotice: () => {} });
  const [pg] = await sql<{ rows: number; users: number; over: number }[]>`
    select count(*)::int as rows, count(distinct user_id)::int as users,
      (select count(*)::int from (select 1 from claims where campaign_id = ${campaignId}
        group by user_id having count(*) > ${scenario.perUserLimit}) x) as over
    from claims where campaign_id = ${campaignId}`;
  const lagRows = await sql<{ lag: number; at: number }[]>`
    select extract(epoch from persisted_at - claimed_at) * 1000 as lag,
      extract(epoch from claimed_at) * 1000 as at
    from claims where campaign_id = ${campaignId}`;
  await sql.end();
  const lag = summarize(lagRows.map((r) => Number(r.lag)));

  const check = (ok: boolean, what: string) => {
    console.log(`  ${ok ? 'ok  ' : 'FAIL'}  ${what}`);
    if (!ok) failures.push(what);
  };
  console.log('\ninvariants');
  check(created === expected, `exactly min(stock, demand) coupons handed out: ${created} of ${expected}`);
  check(
    winners === created || scenario.perUserLimit > 1,
    `no user won twice: ${winners} winners, ${created} claims`,
  );
  check(
    overLimit.length === 0 && (pg?.over ?? 1) === 0,
    `per-user limit held (responses: ${overLimit.length} over, Postgres: ${pg?.over} over)`,
  );
  check(
    keyedMismatch.length === 0,
    `every replay of an Idempotency-Key returned the same claim (${keyedMismatch.length} mismatches)`,
  );
  check(stats.claimed === created, `Redis claimed ${stats.claimed} = 201s answered ${created}`);
  check(
    stats.remaining + stats.claimed === stats.totalStock && stats.remaining >= 0,
    `remaining ${stats.remaining} + claimed ${stats.claimed} = stock ${stats.totalStock}`,
  );
  check(
    stats.persisted === stats.claimed && pg?.rows === stats.claimed,
    `persisted ${stats.persisted} (${pg?.rows} rows) = claimed ${stats.claimed}`,
  );
  check(
    serverErrors === 0 && result.errors === 0,
    `no 5xx and no transport errors (${serverErrors} 5xx, ${result.errors} errors)`,
  );

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
  console.log(`wrote ${values.out}/load-result.json and ${values.out}/load-report.html`);
} catch (err) {
  failures.push(String(err));
  console.error(err);
} finally {
  await stopFleet();
}
process.exit(failures.length === 0 ? 0 : 1);
