/**
 * npm run bench:coupons -- [--apis 5] [--base-port 3501] [--rounds 2] [--seconds 3] [--connections 16]
 *
 * What happens after the grab, measured on one fleet (five API processes and a worker) in one run, as
 * ratios against the bare JSON route of the same processes (this machine is shared and noisy; ratios
 * measured side by side hold): coupon redemptions per second (the order system's POST .../redeem, each a
 * different persisted coupon), single claims per second, and gift-pack presses per second (packs of 20
 * campaigns, each press a new user, stock that never runs out), with their p99. Rounds alternate, so
 * noise hits every route alike. Writes load-tests/results/bench-coupons.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { adminClient, mintTokens } from './lib/api.ts';
import { stopOnExit } from './lib/children.ts';
import { type ClosedLoopResult, type HttpRequest, runClosedLoop } from './lib/driver.ts';
import { type Fleet, startFleet } from './lib/fleet.ts';
import { projectRoot } from './lib/processes.ts';
import { scratch } from './lib/scratch.ts';

const { values } = parseArgs({
  options: {
    apis: { type: 'string', default: '5' },
    'base-port': { type: 'string', default: '3501' },
    rounds: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
  },
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const PACK_SIZE = 20;
const ADMIN_TOKEN = 'bench-admin-token';
const SERVICE_TOKEN = 'bench-service-token';
const JWT_SECRET = 'bench-jwt-secret';
const resources = scratch('benchcoupons');
const env = {
  DATABASE_URL: resources.databaseUrl,
  REDIS_PREFIX: resources.prefix,
  ADMIN_TOKEN,
  SERVICE_TOKEN,
  JWT_SECRET,
  LOG_LEVEL: 'warn',
  RATE_LIMIT_PER_SECOND: '100000',
  RATE_LIMIT_ADDRESS_PER_SECOND: '0',
};
/** More requests than a round can send, per route and round. */
const BUDGET = 30_000 * SECONDS;

let fleet: Fleet | undefined;
let cleaning: Promise<void> | undefined;
const cleanup = () => {
  cleaning ??= (async () => {
    await fleet?.stop();
    await resources.cleanup();
  })();
  return cleaning;
};
stopOnExit({ onStop: cleanup });

interface Route {
  name: string;
  /** The status a request of this route is meant to get. */
  wanted: number;
  request: (n: number, base: string) => HttpRequest | undefined;
  onAnswer?: (n: number, res: { status: number; body: string }) => void;
  rounds: ClosedLoopResult[];
}

const loop = (route: Route, bases: string[]) =>
  runClosedLoop({
    bases,
    connectionsPerBase: CONNECTIONS,
    seconds: SECONDS,
    request: route.request,
    ...(route.onAnswer ? { onAnswer: route.onAnswer } : {}),
  });

const rateOf = (r: ClosedLoopResult, status: number) => (r.statuses[String(status)] ?? 0) / r.durationS;

try {
  const apis = Number(values.apis);
  console.log(`starting ${apis} api instances and a worker from port ${values['base-port']}...`);
  fleet = await startFleet({ apis, workers: 1, basePort: Number(values['base-port']), env });
  const bases = fleet.urls;
  const admin = adminClient(bases[0]!, ADMIN_TOKEN);
  const run = Date.now().toString(36);
  const single = `bench-single-${run}`;
  await admin.createCampaign({ id: single, totalStock: 50_000_000 });
  const packCampaigns = Array.from({ length: PACK_SIZE }, (_, i) => `bench-pack-${run}-${i}`);
  for (const id of packCampaigns) await admin.createCampaign({ id, totalStock: 50_000_000 });
  const packId = `bench-pack-${run}`;
  await admin.createBundle({ id: packId, campaignIds: packCampaigns });

  // Coupons to redeem: claimed and persisted before the rounds (every redeem is a different coupon).
  const toRedeem: string[] = [];
  console.log('claiming the coupons the redemption rounds will use...');
  const seedTokens = mintTokens(JWT_SECRET, `seed-${run}`, BUDGET * ROUNDS);
  await runClosedLoop({
    bases,
    connectionsPerBase: CONNECTIONS,
    seconds: 30,
    request: (n, base) =>
      n < seedTokens.length && toRedeem.length < 4_000 * SECONDS * ROUNDS
        ? {
            base,
            method: 'POST',
            path: `/v1/campaigns/${single}/claims`,
            headers: { authorization: `Bearer ${seedTokens[n]}` },
          }
        : undefined,
    onAnswer: (_, res) => {
      if (res.status === 201)
        toRedeem.push((JSON.parse(res.body) as { claim: { couponCode: string } }).claim.couponCode);
    },
  });
  for (let stats = await admin.stats(single); stats.pending > 0; stats = await admin.stats(single))
    await new Promise((r) => setTimeout(r, 200));
  console.log(`${toRedeem.length} coupons claimed and persisted`);

  const service = { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/json' };
  let redeemed = 0;
  const claimTokens = mintTokens(JWT_SECRET, `c-${run}`, BUDGET * ROUNDS);
  let claimNext = 0;
  const packTokens = mintTokens(JWT_SECRET, `k-${run}`, Math.ceil((BUDGET * ROUNDS) / 10));
  let packNext = 0;
  const routes: Route[] = [
    {
      name: 'bare JSON route (GET /v1/ping)',
      wanted: 200,
      request: (_, base) => ({ base, method: 'GET', path: '/v1/ping' }),
      rounds: [],
    },
    {
      name: 'redeem a persisted coupon',
      wanted: 200,
      request: (_, base) => {
        const code = toRedeem[redeemed++];
        return code === undefined
          ? undefined
          : {
              base,
              method: 'POST',
              path: `/v1/coupons/${code}/redeem`,
              headers: service,
              body: JSON.stringify({ orderId: `order-${code}` }),
            };
      },
      rounds: [],
    },
    {
      name: 'single claim',
      wanted: 201,
      request: (_, base) => {
        const token = claimTokens[claimNext++];
        return token === undefined
          ? undefined
          : {
              base,
              method: 'POST',
              path: `/v1/campaigns/${single}/claims`,
              headers: { authorization: `Bearer ${token}` },
            };
      },
      rounds: [],
    },
    {
      name: `gift pack of ${PACK_SIZE} campaigns`,
      wanted: 201,
      request: (_, base) => {
        const token = packTokens[packNext++];
        return token === undefined
          ? undefined
          : {
              base,
              method: 'POST',
              path: `/v1/bundles/${packId}/claims`,
              headers: { authorization: `Bearer ${token}` },
            };
      },
      rounds: [],
    },
  ];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const route of routes) {
      const r = await loop(route, bases);
      route.rounds.push(r);
      console.log(
        `round ${round} ${route.name}: ${rateOf(r, route.wanted).toFixed(0)}/s, p99 ${r.latency.p99} ms ` +
          `(${JSON.stringify(r.statuses)}${r.exhausted > 0 ? `, ran out of work on ${r.exhausted} connections` : ''})`,
      );
    }
  }
  const best = (route: Route) => Math.max(...route.rounds.map((r) => rateOf(r, route.wanted)));
  const p99 = (route: Route) => Math.max(...route.rounds.map((r) => r.latency.p99));
  const unexpected = (route: Route) =>
    route.rounds.reduce(
      (n, r) =>
        n + Object.entries(r.statuses).reduce((m, [s, c]) => (Number(s) === route.wanted ? m : m + c), 0),
      0,
    );
  const bare = best(routes[0]!);
  const rows = routes.map((route) => ({
    route: route.name,
    perSecond: Math.round(best(route)),
    vsBare: Number((best(route) / bare).toFixed(3)),
    p99Ms: p99(route),
    unexpectedAnswers: unexpected(route),
  }));
  const pack = rows[3]!;
  console.log(
    `\n${'route'.padEnd(34)} ${'per s'.padStart(8)} ${'x bare'.padStart(7)} ${'p99 ms'.padStart(7)} other answers\n` +
      rows
        .map(
          (r) =>
            `${r.route.padEnd(34)} ${String(r.perSecond).padStart(8)} ${r.vsBare.toFixed(3).padStart(7)} ${String(r.p99Ms).padStart(7)} ${r.unexpectedAnswers}`,
        )
        .join('\n') +
      `\ngift packs sell ${pack.perSecond * PACK_SIZE} coupons/s in whole packs (${PACK_SIZE} per press)`,
  );
  const dir = `${projectRoot}load-tests/results`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    `${dir}/bench-coupons.json`,
    JSON.stringify({ at: new Date().toISOString(), apis, seconds: SECONDS, rounds: ROUNDS, rows }, null, 2),
  );
  console.log(`\nwritten: load-tests/results/bench-coupons.json`);
} finally {
  await cleanup();
}
