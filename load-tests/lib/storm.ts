import postgres from 'postgres';
import { signJwt } from '../../src/auth/jwt.ts';
import { adminClient } from './api.ts';
import { type OpenModelResult, type Progress, runOpenModel } from './driver.ts';
import { arrivalsIn, arrivalTime, IMPATIENT_STEP, type Scenario, spread, WITH_KEY_STEP } from './scenario.ts';
import { type Percentiles, summarize } from './stats.ts';

/**
 * The flash-sale storm of load-tests/k6/storm.js, from Node: one campaign, arrivals ramping to the peak
 * then holding, each a distinct user; an impatient share presses several times at once on different
 * instances (some with an Idempotency-Key). Afterwards it waits for persistence to drain and checks the
 * invariants against the admin stats and Postgres. Used by `npm run load` and by the fleet test.
 */
export interface StormOptions {
  bases: string[];
  adminToken: string;
  jwtSecret: string;
  databaseUrl: string;
  scenario: Scenario;
  campaignId: string;
  onProgress?: (p: Progress) => void;
  drainTimeoutMs?: number;
}

export interface StormResult {
  campaignId: string;
  users: number;
  drive: OpenModelResult;
  created: number;
  winners: number;
  drainMs: number;
  lag: Percentiles;
  lagRows: { lag: number; at: number }[];
  stats: Awaited<ReturnType<ReturnType<typeof adminClient>['stats']>>;
  checks: { ok: boolean; what: string }[];
  failures: string[];
}

interface UserOutcome {
  created: number;
  claimIds: Set<string>;
  withKey: boolean;
}

export async function runStorm(opts: StormOptions): Promise<StormResult> {
  const { scenario, bases, campaignId } = opts;
  const admin = adminClient(bases[0]!, opts.adminToken);
  const users = arrivalsIn(scenario);
  await admin.createCampaign({
    id: campaignId,
    totalStock: scenario.stock,
    perUserLimit: scenario.perUserLimit,
  });

  const outcomes = new Map<number, UserOutcome>();
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const drive = await runOpenModel({
    arrivals: users,
    arrivalTime: (i) => arrivalTime(i, scenario),
    maxSeconds: scenario.rampSeconds + scenario.holdSeconds + 30,
    connectionsPerBase: 64,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    arrive: async (i, send) => {
      const token = signJwt({ sub: `${campaignId}-u${i}`, exp }, opts.jwtSecret);
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
  });

  const failures: string[] = [];
  const drainStarted = Date.now();
  let stats = await admin.stats(campaignId);
  while (stats.pending > 0 || stats.queue.waiting + stats.queue.active + stats.queue.delayed > 0) {
    if (Date.now() - drainStarted > (opts.drainTimeoutMs ?? 120_000)) {
      failures.push('persistence did not drain in time');
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
    stats = await admin.stats(campaignId);
  }
  const drainMs = Date.now() - drainStarted;

  const all = [...outcomes.values()];
  const created = all.reduce((n, o) => n + o.created, 0);
  const winners = all.filter((o) => o.created > 0).length;
  const expected = Math.min(scenario.stock, users * scenario.perUserLimit);
  const serverErrors = Object.entries(drive.statuses)
    .filter(([s]) => Number(s) >= 500 || s === '0')
    .reduce((n, [, c]) => n + c, 0);
  const overLimit = all.filter(
    (o) => o.created > scenario.perUserLimit || o.claimIds.size > scenario.perUserLimit,
  );
  const keyedMismatch = all.filter((o) => o.withKey && o.claimIds.size > 1);

  const sql = postgres(opts.databaseUrl, { max: 2, onnotice: () => {} });
  let pg: { rows: number; users: number; over: number } | undefined;
  let lagRows: { lag: number; at: number }[] = [];
  try {
    [pg] = await sql<{ rows: number; users: number; over: number }[]>`
      select count(*)::int as rows, count(distinct user_id)::int as users,
        (select count(*)::int from (select 1 from claims where campaign_id = ${campaignId}
          group by user_id having count(*) > ${scenario.perUserLimit}) x) as over
      from claims where campaign_id = ${campaignId}`;
    lagRows = (
      await sql<{ lag: string; at: string }[]>`
        select extract(epoch from persisted_at - claimed_at) * 1000 as lag, extract(epoch from claimed_at) * 1000 as at
        from claims where campaign_id = ${campaignId}`
    ).map((r) => ({ lag: Number(r.lag), at: Number(r.at) }));
  } finally {
    await sql.end();
  }

  const checks = [
    {
      ok: created === expected,
      what: `exactly min(stock, demand) coupons handed out: ${created} of ${expected}`,
    },
    {
      ok: winners === created || scenario.perUserLimit > 1,
      what: `no user won twice: ${winners} winners, ${created} claims`,
    },
    {
      ok: overLimit.length === 0 && (pg?.over ?? 1) === 0,
      what: `per-user limit held (responses: ${overLimit.length} over, Postgres: ${pg?.over} over)`,
    },
    {
      ok: keyedMismatch.length === 0,
      what: `every replay of an Idempotency-Key returned the same claim (${keyedMismatch.length} mismatches)`,
    },
    { ok: stats.claimed === created, what: `Redis claimed ${stats.claimed} = 201s answered ${created}` },
    {
      ok: stats.remaining + stats.claimed === stats.totalStock && stats.remaining >= 0,
      what: `remaining ${stats.remaining} + claimed ${stats.claimed} = stock ${stats.totalStock}`,
    },
    {
      ok: stats.persisted === stats.claimed && pg?.rows === stats.claimed,
      what: `persisted ${stats.persisted} (${pg?.rows} rows) = claimed ${stats.claimed}`,
    },
    {
      ok: serverErrors === 0 && drive.errors === 0,
      what: `no 5xx and no transport errors (${serverErrors} 5xx, ${drive.errors} errors)`,
    },
  ];
  for (const c of checks) if (!c.ok) failures.push(c.what);
  return {
    campaignId,
    users,
    drive,
    created,
    winners,
    drainMs,
    lag: summarize(lagRows.map((r) => r.lag)),
    lagRows,
    stats,
    checks,
    failures,
  };
}
