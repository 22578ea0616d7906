/**
 * npm run bench:cluster -- [--apis 3] [--base-port 3141] [--rounds 3] [--seconds 5] [--connections 20]
 *   [--stock 15000] [--buckets 1,3,6] [--hot-connections 20]
 *
 * Issue 12's figures, measured side by side in one run (this machine is shared and noisy; ratios hold):
 *  1. one hot campaign sold out on a private 3-master Redis Cluster with 1, 3 and 6 buckets: claims/s and
 *     each master's share of the claim scripts (INFO commandstats of each node; goal: every master within
 *     1.2x of an even share with 3+ buckets), the result checked exactly every time (stock winners, no
 *     user over the limit, no refusal while stock remained, every bucket at 0, the same rows in Postgres);
 *  2. claims/s and p99 on that cluster vs a private standalone redis-server, a fleet of the same size on
 *     each, rotating closed-loop rounds (goal: cluster >= 0.8x).
 * No worker runs while claims are measured (the request path alone); one drains the hot campaigns
 * before the Postgres check. Every server is private (the shared Redis is never touched) and stopped by
 * pid. Writes load-tests/results/cluster.json and cluster.html.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Cluster } from 'ioredis';
import postgres from 'postgres';
import { queuePrefix } from '../src/redis/keys.ts';
import { type PrivateCluster, startPrivateCluster } from '../src/testing/redis-cluster.ts';
import { type PrivateRedis, startPrivateRedis } from '../src/testing/redis-server.ts';
import { clusterReport, clusterTables } from './bench/cluster-report.ts';
import { type HotRun, hotCampaignRun, placementOdds, slotOwners } from './bench/hot-campaign.ts';
import { claimRound, median, rotation, round2 } from './bench/rounds.ts';
import { adminClient } from './lib/api.ts';
import { stopOnExit, trackPid } from './lib/children.ts';
import { type Fleet, startFleet } from './lib/fleet.ts';
import { projectRoot, type ServiceProcess, spawnService, waitReady } from './lib/processes.ts';
import { setPhase, watchProgress } from './lib/progress.ts';
import { type Scratch, scratch } from './lib/scratch.ts';
import { tokenSupply } from './lib/tokens.ts';

const { values } = parseArgs({
  options: {
    apis: { type: 'string', default: '3' },
    'base-port': { type: 'string', default: '3141' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '20' },
    stock: { type: 'string', default: '15000' },
    buckets: { type: 'string', default: '1,3,6' },
    'hot-connections': { type: 'string', default: '20' },
  },
});
const APIS = Number(values.apis);
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const STOCK = Number(values.stock);
const BUCKETS = values.buckets.split(',').map(Number);
const ADMIN_TOKEN = 'bench-admin-token';
const JWT_SECRET = 'bench-jwt-secret';
const run = Date.now().toString(36);

let cluster: PrivateCluster | undefined;
let standalone: PrivateRedis | undefined;
const fleets: Fleet[] = [];
const data: Scratch[] = [];
let worker: ServiceProcess | undefined;
let cleaning: Promise<void> | undefined;
const cleanup = () => {
  cleaning ??= (async () => {
    await worker?.stop();
    for (const f of fleets) await f.stop();
    for (const d of data) await d.cleanup();
    await cluster?.stop();
    await standalone?.stop();
  })();
  return cleaning;
};
stopOnExit({ onStop: cleanup });
const stopProgress = watchProgress();

const baseEnv = {
  ADMIN_TOKEN,
  JWT_SECRET,
  RATE_LIMIT_PER_SECOND: '100000',
  RATE_LIMIT_ADDRESS_PER_SECOND: '0',
  LOG_LEVEL: 'warn',
};

try {
  setPhase('starting a 3-master cluster and a standalone redis-server');
  cluster = await startPrivateCluster();
  for (const node of cluster.nodes) trackPid(`redis-${node}`, () => cluster?.pidOf(node));
  standalone = await startPrivateRedis();
  trackPid(`redis-${standalone.port}`, () => standalone?.pid);
  const onCluster = scratch('benchcl_cluster', { redisUrl: null });
  const onStandalone = scratch('benchcl_standalone', { redisUrl: null });
  data.push(onCluster, onStandalone);
  const clusterEnv = {
    ...baseEnv,
    REDIS_CLUSTER_NODES: cluster.seeds,
    DATABASE_URL: onCluster.databaseUrl,
    REDIS_PREFIX: onCluster.prefix,
  };
  const standaloneEnv = {
    ...baseEnv,
    REDIS_URL: standalone.url,
    REDIS_CLUSTER_NODES: '',
    DATABASE_URL: onStandalone.databaseUrl,
    REDIS_PREFIX: onStandalone.prefix,
  };
  const onError = (which: string) => (name: string, line: string) => {
    if (line.includes('"level":"error"')) console.error(`[${which} ${name}] ${line}`);
  };
  setPhase(`starting ${APIS} api instances on each`);
  const basePort = Number(values['base-port']);
  const clusterFleet = await startFleet({
    apis: APIS,
    workers: 0,
    basePort,
    env: clusterEnv,
    onLine: onError('cluster'),
  });
  fleets.push(clusterFleet);
  const standaloneFleet = await startFleet({
    apis: APIS,
    workers: 0,
    basePort: basePort + APIS,
    env: standaloneEnv,
    onLine: onError('standalone'),
  });
  fleets.push(standaloneFleet);

  // 1. The hot campaign, 1, 3 and 6 buckets, on the cluster.
  const redis = new Cluster(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })));
  const waitKey = `${queuePrefix(onCluster.prefix)}:persist:wait`;
  const hot: HotRun[] = [];
  const hotTokens = tokenSupply(JWT_SECRET, `hot-${run}`);
  try {
    // A first sale, not counted, warms the JIT and the connections of every instance.
    for (const buckets of [0, ...BUCKETS]) {
      const r = await hotCampaignRun({
        cluster,
        bases: clusterFleet.urls,
        adminToken: ADMIN_TOKEN,
        prefix: onCluster.prefix,
        tokens: hotTokens,
        campaignId: buckets === 0 ? `warm-up-${run}` : `hot-b${buckets}-${run}`,
        buckets: Math.max(1, buckets),
        stock: buckets === 0 ? Math.ceil(STOCK / 3) : STOCK,
        connections: Number(values['hot-connections']),
        maxSeconds: 120,
        queuedJobs: () => redis.llen(waitKey),
      });
      if (buckets === 0) continue;
      hot.push(r);
      console.log(
        `hot campaign, ${buckets} bucket(s): ${r.claimsPerSecond} claims/s (sold out in ${r.sellOutS} s); ` +
          `masters ${r.masters.map((m) => `${(m.share * 100).toFixed(1)}%`).join(' / ')}; ` +
          `${r.checks.every((c) => c.ok) ? 'exact' : `WRONG: ${r.checks.filter((c) => !c.ok).map((c) => c.what)}`}`,
      );
    }
  } finally {
    redis.disconnect();
  }

  // Beyond the campaigns sold: how bucketTag spreads buckets over this cluster's masters, 1,000 ids.
  const owners = await slotOwners(cluster.nodes[0]!);
  const placement = BUCKETS.filter((n) => n >= 3).map((n) => placementOdds(owners, n));

  // ... and the same rows in Postgres once a worker has drained them.
  setPhase('worker draining the hot campaigns');
  worker = spawnService({ name: 'worker-1', env: { ...clusterEnv, ROLE: 'worker' } });
  await waitReady(worker);
  const admin = adminClient(clusterFleet.urls[0]!, ADMIN_TOKEN);
  const sql = postgres(onCluster.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    for (const r of hot) {
      const until = Date.now() + 120_000;
      while ((await admin.stats(r.campaignId)).pending > 0 && Date.now() < until)
        await new Promise((res) => setTimeout(res, 200));
      const [row] = await sql<{ rows: number; users: number }[]>`
        select count(*)::int as rows, count(distinct user_id)::int as users from claims
        where campaign_id = ${r.campaignId}`;
      r.checks.push({
        ok: row!.rows === r.stock && row!.users === r.stock,
        what: `Postgres: ${row!.rows} rows, ${row!.users} distinct users`,
      });
    }
  } finally {
    await sql.end();
  }
  await worker.stop();
  setPhase('');

  // 2. Cluster vs standalone, same fleet size, same campaign shape (no buckets), rotating rounds.
  const topologies = [
    { name: 'standalone', fleet: standaloneFleet },
    { name: 'cluster', fleet: clusterFleet },
  ] as const;
  const campaign = (name: string) => `side-${name}-${run}`;
  for (const t of topologies)
    await adminClient(t.fleet.urls[0]!, ADMIN_TOKEN).createCampaign({
      id: campaign(t.name),
      totalStock: 50_000_000,
    });
  const tokens = {
    standalone: tokenSupply(JWT_SECRET, `s-${run}`),
    cluster: tokenSupply(JWT_SECRET, `c-${run}`),
  };
  const rounds: Record<'standalone' | 'cluster', { rate: number; p99: number; unexpected: number }>[] = [];
  for (let r = 0; r <= ROUNDS; r++) {
    const row = {} as (typeof rounds)[number];
    for (const t of rotation([...topologies], r)) {
      setPhase(`${t.name}, round ${r}${r === 0 ? ' (warm-up)' : ''}`);
      const x = await claimRound({
        bases: t.fleet.urls,
        campaignId: campaign(t.name),
        tokens: tokens[t.name],
        seconds: SECONDS,
        connections: CONNECTIONS,
      });
      row[t.name] = { rate: x.rate, p99: x.p99, unexpected: x.unexpected };
    }
    setPhase('');
    console.log(
      `round ${r}${r === 0 ? ' (warm-up)' : ''}: standalone ${row.standalone.rate.toFixed(0)}/s (p99 ${row.standalone.p99} ms)  ` +
        `cluster ${row.cluster.rate.toFixed(0)}/s (p99 ${row.cluster.p99} ms)`,
    );
    if (r > 0) rounds.push(row);
  }
  const ratios = rounds.map((r) => r.cluster.rate / r.standalone.rate);
  const figures = {
    machine: `${process.platform} ${process.arch}, ${cpus().length} cores, node ${process.version}`,
    setup: `${APIS} api instances per topology (no worker while measuring), ${CONNECTIONS} connections per instance, ${ROUNDS} rotating rounds of ${SECONDS} s after a warm-up; hot campaigns: stock ${STOCK}, ${values['hot-connections']} connections per instance, every tenth request a repeat press`,
    sideBySide: {
      standalone: {
        claimsPerSecond: Math.round(median(rounds.map((r) => r.standalone.rate))),
        p99Ms: median(rounds.map((r) => r.standalone.p99)),
        perRound: rounds.map((r) => Math.round(r.standalone.rate)),
      },
      cluster: {
        claimsPerSecond: Math.round(median(rounds.map((r) => r.cluster.rate))),
        p99Ms: median(rounds.map((r) => r.cluster.p99)),
        perRound: rounds.map((r) => Math.round(r.cluster.rate)),
      },
      ratio: round2(median(ratios)),
      perRoundRatio: ratios.map(round2),
      unexpected: rounds.reduce((n, r) => n + r.cluster.unexpected + r.standalone.unexpected, 0),
      goal: 'cluster >= 0.8x standalone',
    },
    hot,
    placement,
  };
  console.log(`\n${clusterTables(figures)}`);
  const out = new URL('load-tests/results/', `file://${projectRoot}`);
  mkdirSync(out, { recursive: true });
  writeFileSync(new URL('cluster.json', out), `${JSON.stringify(figures, null, 2)}\n`);
  const html = new URL('cluster.html', out);
  writeFileSync(html, clusterReport(figures));
  console.log(`wrote load-tests/results/cluster.json\nHTML report: ${html.pathname}`);
  const wrong = hot.flatMap((h) => h.checks.filter((c) => !c.ok));
  if (wrong.length > 0) process.exitCode = 1;
} finally {
  stopProgress();
  await cleanup();
}
