/**
 * npm run bench -- [--apis 5] [--base-port 3101] [--rounds 3] [--seconds 5] [--connections 20]
 *   [--only ratios,durability] [--durability-apis 2] [--durability-base-port 3121]
 *
 * Performance figures as ratios measured in one run on one fleet (this machine is shared and noisy;
 * absolute numbers wander, ratios measured side by side hold):
 *  1. claim path vs the bare JSON route of the same app, same load (goal >= 0.6)
 *  2. sold-out rejections vs the bare route (goal >= 0.9)
 *  3. worker drain rate vs a raw batched INSERT into the same table (goal >= 0.3)
 *  4. persistence lag p50/p99 at half of the peak intake (goal p99 <= 250 ms)
 * The rounds of 1 and 2 alternate, so noise hits every route alike. No worker runs during them (the
 * request path is measured on its own); the claims they accept are the backlog that 3 drains.
 * A progress line per second goes to stderr. Writes load-tests/results/bench.json and bench.html.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { couponCode, uuidv7 } from '../src/shared/ids.ts';
import { type DurabilityFigures, durabilityTable, measureDurability } from './bench/durability.ts';
import { benchReport } from './bench/report.ts';
import { adminClient, mintTokens } from './lib/api.ts';
import { stopOnExit } from './lib/children.ts';
import { runOpenModel } from './lib/driver.ts';
import { type Fleet, startFleet } from './lib/fleet.ts';
import { projectRoot, type ServiceProcess, spawnService, waitReady } from './lib/processes.ts';
import { recordAnswer, setPhase, watchProgress } from './lib/progress.ts';
import { scratch } from './lib/scratch.ts';
import { summarize } from './lib/stats.ts';
import { type TokenSupply, tokenSupply } from './lib/tokens.ts';

const { values } = parseArgs({
  options: {
    apis: { type: 'string', default: '5' },
    'base-port': { type: 'string', default: '3101' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '20' },
    'lag-seconds': { type: 'string', default: '10' },
    only: { type: 'string', default: 'ratios,durability' },
    'durability-apis': { type: 'string', default: '2' },
    'durability-base-port': { type: 'string', default: '3121' },
    'half-peak-seconds': { type: 'string', default: '5' },
  },
});
const only = new Set(values.only.split(','));
for (const o of only)
  if (o !== 'ratios' && o !== 'durability')
    throw new Error(`--only takes ratios and/or durability, not ${o}`);
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const run = Date.now().toString(36);
const ADMIN_TOKEN = 'bench-admin-token';
const JWT_SECRET = 'bench-jwt-secret';
const resources = scratch('bench');
const DATABASE_URL = resources.databaseUrl;
const env = {
  DATABASE_URL,
  ADMIN_TOKEN,
  JWT_SECRET,
  REDIS_PREFIX: resources.prefix,
  // warn by default; LOG_LEVEL=info measures the access log's cost (with ACCESS_LOG_CLAIMS, inherited).
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  // Every request is a different user; the limiter has nothing to protect here.
  RATE_LIMIT_PER_SECOND: '100000',
  // Every request comes from this machine's loopback address.
  RATE_LIMIT_ADDRESS_PER_SECOND: '0',
};

let fleet: Fleet | undefined;
let worker: ServiceProcess | undefined;
let cleaning: Promise<void> | undefined;
/** Once, whether the run ends, fails, is interrupted or crashes (stopOnExit calls it too). */
const cleanup = () => {
  cleaning ??= (async () => {
    await worker?.stop();
    await fleet?.stop();
    await resources.cleanup();
  })();
  return cleaning;
};
stopOnExit({ onStop: cleanup });

/** One closed-loop round against every instance at once; returns requests/s of the wanted status. */
async function round(
  bases: string[],
  make: (base: string) => autocannon.Options,
  wanted: (r: autocannon.Result) => number,
) {
  const results = await Promise.all(
    bases.map(
      (base) =>
        new Promise<autocannon.Result>((resolve, reject) =>
          autocannon({ ...make(base), connections: CONNECTIONS, duration: SECONDS }, (err, r) =>
            err ? reject(err) : resolve(r),
          ).on('response', (_client, status, _bytes, ms) => recordAnswer(status, ms)),
        ),
    ),
  );
  const total = results.reduce((n, r) => n + wanted(r), 0);
  const unexpected = results.reduce((n, r) => n + r.errors + r.timeouts, 0);
  const p99 = Math.max(...results.map((r) => r.latency.p99));
  return { rate: total / Math.max(...results.map((r) => r.duration)), unexpected, p99, results };
}

/**
 * Distinct users' tokens, signed before each round: signing inside the load generator would charge the
 * claim rounds, and not the bare route's, for the generator's own CPU on this shared machine. Before each
 * round every route gets at least 40,000 a second (about twice what this machine's fastest route serves)
 * or three times what its busiest round so far took (the warm-up round runs at well under half the later
 * rate), whichever is more. A round that takes more still never runs out: its supply signs further chunks
 * between requests, and the figures count them.
 */
const TOKENS_PER_SECOND = 40_000;
const roundTokens = (prefix: string) => ({ supply: tokenSupply(JWT_SECRET, prefix), busiest: 0 });
const reserveForRound = (routes: { supply: TokenSupply; busiest: number }[]) => {
  for (const r of routes) r.supply.reserve(Math.max(TOKENS_PER_SECOND * SECONDS, 3 * r.busiest));
  const used = routes.map((r) => r.supply.used);
  const minted = routes.reduce((n, r) => n + r.supply.minted, 0);
  /** After the round: records what each route took; returns the tokens signed during the round. */
  return () => {
    routes.forEach((r, i) => {
      r.busiest = Math.max(r.busiest, r.supply.used - used[i]!);
    });
    return routes.reduce((n, r) => n + r.supply.minted, 0) - minted;
  };
};

const stopProgress = watchProgress();
const figures: Record<string, unknown> = {
  machine: `${process.platform} ${process.arch}, ${(await import('node:os')).cpus().length} cores, node ${process.version}`,
};
async function ratios() {
  const apis = Number(values.apis);
  console.log(`starting ${apis} api instances (no worker yet) from port ${values['base-port']}...`);
  fleet = await startFleet({ apis, workers: 0, basePort: Number(values['base-port']), env });
  const bases = fleet.urls;
  const admin = adminClient(bases[0]!, ADMIN_TOKEN);
  const claimsId = `bench-claims-${run}`;
  const soldOutId = `bench-soldout-${run}`;
  await admin.createCampaign({ id: claimsId, totalStock: 50_000_000 });
  await admin.createCampaign({ id: soldOutId, totalStock: 1 });
  const seed = await fetch(`${bases[0]}/v1/campaigns/${soldOutId}/claims`, {
    method: 'POST',
    headers: { authorization: `Bearer ${mintTokens(JWT_SECRET, `seed-${run}`, 1)[0]}` },
  });
  if (seed.status !== 201) throw new Error(`could not sell out the sold-out campaign: ${seed.status}`);

  const pingTokens = roundTokens(`p-${run}`);
  const winnerTokens = roundTokens(`w-${run}`);
  const loserTokens = roundTokens(`l-${run}`);
  /** Every route gets the same request shape: a user's Authorization header, set per request. */
  const withToken = (tokens: TokenSupply) => ({
    requests: [
      {
        setupRequest: (req: autocannon.Request) => ({
          ...req,
          headers: { ...req.headers, authorization: `Bearer ${tokens.next()}` },
        }),
      },
    ],
  });
  const claimOn = (campaignId: string, tokens: TokenSupply) => (base: string) => ({
    ...withToken(tokens),
    url: `${base}/v1/campaigns/${campaignId}/claims`,
    method: 'POST' as const,
  });
  const rounds: { ping: number; claim: number; soldOut: number }[] = [];
  let unexpected = 0;
  let signedInRounds = 0;
  // Round 0 warms the JIT and the connections and is not counted.
  for (let r = 0; r <= ROUNDS; r++) {
    const roundDone = reserveForRound([pingTokens, winnerTokens, loserTokens]);
    // The bare route ignores the header, but the generator's work per request (on these shared cores)
    // is then the same in every round.
    setPhase(`bare route, round ${r}`);
    const ping = await round(
      bases,
      (base) => ({ ...withToken(pingTokens.supply), url: `${base}/v1/ping` }),
      (x) => x['2xx'],
    );
    setPhase(`claims, round ${r}`);
    const claim = await round(bases, claimOn(claimsId, winnerTokens.supply), (x) => x['2xx']);
    setPhase(`sold-out, round ${r}`);
    const soldOut = await round(bases, claimOn(soldOutId, loserTokens.supply), (x) => x['4xx']);
    setPhase('');
    const signed = roundDone();
    if (r > 0) signedInRounds += signed;
    for (const x of [...claim.results, ...soldOut.results]) unexpected += x.non2xx - x['4xx'] + x.errors;
    unexpected +=
      claim.results.reduce((n, x) => n + x['4xx'], 0) + soldOut.results.reduce((n, x) => n + x['2xx'], 0);
    console.log(
      `round ${r}${r === 0 ? ' (warm-up)' : ''}: bare ${ping.rate.toFixed(0)}/s (p99 ${ping.p99} ms)  ` +
        `claims ${claim.rate.toFixed(0)}/s (p99 ${claim.p99} ms)  sold-out ${soldOut.rate.toFixed(0)}/s (p99 ${soldOut.p99} ms)`,
    );
    if (r > 0) rounds.push({ ping: ping.rate, claim: claim.rate, soldOut: soldOut.rate });
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  };
  // Each round's three routes run back to back, so a ratio within a round cancels the machine's drift.
  const claimRatios = rounds.map((r) => r.claim / r.ping);
  const soldOutRatios = rounds.map((r) => r.soldOut / r.ping);
  const pingRate = median(rounds.map((r) => r.ping));
  const claimRate = median(rounds.map((r) => r.claim));
  const soldOutRate = median(rounds.map((r) => r.soldOut));

  // 3. The backlog those rounds left, drained by one worker process, against a raw batched INSERT.
  const before = await admin.stats(claimsId);
  const backlog = before.claimed - before.persisted;
  setPhase(`worker drain of ${backlog} claims`);
  worker = spawnService({ name: 'worker-1', env: { ...env, ROLE: 'worker' } });
  await waitReady(worker);
  const drainStart = performance.now();
  let stats = before;
  while (stats.pending > 0) {
    await new Promise((r) => setTimeout(r, 50));
    stats = await admin.stats(claimsId);
  }
  const drainRate = backlog / ((performance.now() - drainStart) / 1000);

  const sql = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  const rawId = `bench-raw-${run}`;
  await admin.createCampaign({ id: rawId, totalStock: backlog });
  const rows = Array.from({ length: backlog }, (_, i) => ({
    id: uuidv7(),
    campaign_id: rawId,
    user_id: `raw-${i}`,
    ordinal: 1,
    coupon_code: couponCode(),
    idempotency_key: null,
    claimed_ms: Date.now(),
  }));
  const rawStart = performance.now();
  for (let i = 0; i < rows.length; i += 1_000) {
    await sql`insert into claims (id, campaign_id, user_id, ordinal, coupon_code, idempotency_key, claimed_at)
      select id, campaign_id, user_id, ordinal, coupon_code, idempotency_key, to_timestamp(claimed_ms / 1000.0)
      from jsonb_to_recordset(${JSON.stringify(rows.slice(i, i + 1_000))}::text::jsonb)
        as t(id uuid, campaign_id text, user_id text, ordinal int, coupon_code text, idempotency_key text, claimed_ms bigint)`;
  }
  const rawRate = backlog / ((performance.now() - rawStart) / 1000);

  // 4. Persistence lag at half the peak intake, open model, worker running.
  const lagId = `bench-lag-${run}`;
  await admin.createCampaign({ id: lagId, totalStock: 50_000_000 });
  const lagRate = Math.max(50, Math.round(claimRate / 2));
  const lagSeconds = Number(values['lag-seconds']);
  // Exactly one arrival per token: this run's count is known before it starts.
  const lagTokens = mintTokens(JWT_SECRET, `lag-${run}`, lagRate * lagSeconds);
  setPhase(`persistence lag at ${lagRate}/s`);
  const intake = await runOpenModel({
    arrivals: lagRate * lagSeconds,
    arrivalTime: (i) => i / lagRate,
    connectionsPerBase: 32,
    arrive: async (i, send) => {
      await send({
        base: bases[i % bases.length]!,
        method: 'POST',
        path: `/v1/campaigns/${lagId}/claims`,
        headers: { authorization: `Bearer ${lagTokens[i]}` },
      });
    },
  });
  while ((await admin.stats(lagId)).pending > 0) await new Promise((r) => setTimeout(r, 100));
  const lagRows = await sql<{ lag: number }[]>`
    select extract(epoch from persisted_at - claimed_at) * 1000 as lag from claims where campaign_id = ${lagId}`;
  await sql.end();
  const lag = summarize(lagRows.map((r) => Number(r.lag)));
  setPhase('');
  await worker.stop();
  await fleet.stop();

  const ratio = (x: number, y: number) => Math.round((x / y) * 100) / 100;
  const r = {
    setup: { apis, connectionsPerInstance: CONNECTIONS, rounds: ROUNDS, secondsPerRound: SECONDS },
    claimVsBare: {
      ratio: Math.round(median(claimRatios) * 100) / 100,
      perRound: claimRatios.map((x) => Math.round(x * 100) / 100),
      claimsPerSecond: Math.round(claimRate),
      barePerSecond: Math.round(pingRate),
      goal: '>= 0.6',
    },
    soldOutVsBare: {
      ratio: Math.round(median(soldOutRatios) * 100) / 100,
      perRound: soldOutRatios.map((x) => Math.round(x * 100) / 100),
      rejectionsPerSecond: Math.round(soldOutRate),
      barePerSecond: Math.round(pingRate),
      goal: '>= 0.9',
    },
    drainVsRawInsert: {
      ratio: ratio(drainRate, rawRate),
      drainRowsPerSecond: Math.round(drainRate),
      rawInsertRowsPerSecond: Math.round(rawRate),
      backlog,
      goal: '>= 0.3',
    },
    persistenceLag: {
      intakePerSecond: lagRate,
      p50Ms: lag.p50,
      p99Ms: lag.p99,
      maxMs: lag.max,
      claims: lag.count,
      answerLatencyP99Ms: intake.latency.p99,
      goal: 'p99 <= 250 ms',
    },
    unexpectedAnswers: unexpected,
    tokensSignedDuringMeasuredRounds: signedInRounds,
  };
  Object.assign(figures, r);
  console.log(`
${figures.machine}; ${apis} api instances, ${CONNECTIONS} connections each, ${ROUNDS} alternating rounds of ${SECONDS} s after a warm-up round
  claim path vs bare JSON route        ${r.claimVsBare.ratio.toFixed(2)}  (median of rounds ${r.claimVsBare.perRound.join(', ')}; ${r.claimVsBare.claimsPerSecond} claims/s vs ${r.claimVsBare.barePerSecond} req/s; goal >= 0.6)
  sold-out rejections vs bare route    ${r.soldOutVsBare.ratio.toFixed(2)}  (median of rounds ${r.soldOutVsBare.perRound.join(', ')}; ${r.soldOutVsBare.rejectionsPerSecond} 410s/s vs ${r.soldOutVsBare.barePerSecond} req/s; goal >= 0.9)
  worker drain vs raw batched INSERT   ${r.drainVsRawInsert.ratio.toFixed(2)}  (${r.drainVsRawInsert.drainRowsPerSecond} rows/s vs ${r.drainVsRawInsert.rawInsertRowsPerSecond} rows/s, ${backlog} claims; goal >= 0.3)
  persistence lag at ${lagRate} claims/s   p50 ${lag.p50} ms, p99 ${lag.p99} ms  (half the peak intake; goal p99 <= 250 ms)
  unexpected answers: ${unexpected}${signedInRounds > 0 ? `\n  note: ${signedInRounds} tokens were signed during the measured rounds (more requests than reserved)` : ''}`);
  return r;
}

try {
  const ratioFigures = only.has('ratios') ? await ratios() : undefined;
  if (only.has('durability')) {
    const durability = await measureDurability({
      apis: Number(values['durability-apis']),
      basePort: Number(values['durability-base-port']),
      rounds: ROUNDS,
      seconds: SECONDS,
      connections: CONNECTIONS,
      halfPeakSeconds: Number(values['half-peak-seconds']),
      adminToken: ADMIN_TOKEN,
      jwtSecret: JWT_SECRET,
    });
    figures.durability = durability;
    console.log(`\n${durabilityTable(durability)}`);
  }
  const out = new URL('load-tests/results/', `file://${projectRoot}`);
  mkdirSync(out, { recursive: true });
  writeFileSync(new URL('bench.json', out), `${JSON.stringify(figures, null, 2)}\n`);
  const html = new URL('bench.html', out);
  writeFileSync(
    html,
    benchReport({
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      machine: String(figures.machine),
      ...(ratioFigures ? { ratios: ratioFigures } : {}),
      ...(figures.durability ? { durability: figures.durability as DurabilityFigures } : {}),
    }),
  );
  console.log(`wrote load-tests/results/bench.json\nHTML report: ${html.pathname}`);
} finally {
  stopProgress();
  await cleanup();
}
