import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestEnv,
  deleteKeys,
  deploymentKeys,
  type Instance,
  type TestEnv,
  TOPOLOGIES,
} from '../testing/harness.ts';
import { call, claim, createCampaign, eventually } from '../testing/http.ts';
import { type PrivateRedis, startPrivateRedis } from '../testing/redis-server.ts';

const users = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** Everything a test needs to watch Postgres while traffic runs: it must never hold more than stock. */
function postgresWatch(env: TestEnv, campaignId: string, stock: number) {
  let running = true;
  let max = 0;
  const loop = (async () => {
    while (running) {
      const [row] = await env.sql()`select count(*)::int as n from claims where campaign_id = ${campaignId}`;
      max = Math.max(max, row!.n);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      expect(max).toBeLessThanOrEqual(stock);
      return max;
    },
  };
}

/**
 * Live traffic through every instance until a whole round sees no 503: earlier winners retry, new users
 * arrive. Returns every answer per user.
 */
async function trafficUntilRecovered(env: TestEnv, apps: Instance[], campaignId: string, who: string[]) {
  const answers = new Map<string, number[]>();
  const until = Date.now() + 30_000;
  for (let round = 0; ; round++) {
    const replies = await Promise.all(
      who.map(async (u, i) => {
        const res = await claim(apps[(i + round) % apps.length]!.app, campaignId, env.userToken(u));
        answers.set(u, [...(answers.get(u) ?? []), res.status]);
        return res.status;
      }),
    );
    if (!replies.includes(503)) return answers;
    if (Date.now() > until) throw new Error('campaign not recovered within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(TOPOLOGIES)(
  'Redis loses one campaign (keys deleted) while acknowledged claims are still queued (%s)',
  (topology) => {
    let env: TestEnv;
    let a: Instance;
    let b: Instance;

    beforeAll(async () => {
      env = await createTestEnv(`recovery-${topology}`, { REBUILD_SETTLE_MS: '300' }, { topology });
      a = env.instance();
      b = env.instance();
    });
    afterAll(() => env.cleanup());

    it('rebuilds from Postgres and the queue: earlier winners get 409, new users only what is left', async () => {
      const { id } = await createCampaign(a.app, { totalStock: 300 });
      const persistedWinners = users('early', 100);
      const queuedWinners = users('queued', 50);
      const newUsers = users('late', 400);

      let worker: Worker = env.worker();
      const original = new Map<string, string>();
      for (const u of persistedWinners)
        original.set(u, (await claim(a.app, id, env.userToken(u))).body.claim.id);
      await eventually(
        async () =>
          (await env.sql()`select count(*)::int as n from claims where campaign_id = ${id}`)[0]!.n === 100,
      );
      await worker.close();
      for (const u of queuedWinners)
        original.set(u, (await claim(b.app, id, env.userToken(u))).body.claim.id);
      await new Promise((r) => setTimeout(r, 50)); // their batches reach the queue

      // Redis loses every key of the campaign (the queue survives: it lives in another slot).
      expect(await deleteKeys(env.config, [`${env.config.REDIS_PREFIX}:{c:${id}}:*`])).toBeGreaterThanOrEqual(
        4,
      );

      // Not a 404 and not "sold out": the campaign exists, it is being restored.
      expect((await call(a.app, 'GET', `/v1/campaigns/${id}`)).status).toBe(503);
      expect((await claim(b.app, id, env.userToken('impatient'))).status).toBe(503);

      const watch = postgresWatch(env, id, 300);
      const answers = await trafficUntilRecovered(env, [a, b], id, [
        ...persistedWinners,
        ...queuedWinners,
        ...newUsers,
      ]);
      worker = env.worker();
      await eventually(
        async () =>
          (await env.sql()`select count(*)::int as n from claims where campaign_id = ${id}`)[0]!.n >= 300,
      );
      await new Promise((r) => setTimeout(r, 300)); // anything still in flight would land now
      expect(await watch.stop()).toBe(300);

      for (const u of [...persistedWinners, ...queuedWinners]) {
        expect(
          answers.get(u)!.every((s) => s === 409 || s === 503),
          `${u}: ${answers.get(u)}`,
        ).toBe(true);
      }
      const lateWinners = newUsers.filter((u) => answers.get(u)!.includes(201));
      expect(lateWinners).toHaveLength(150);
      const rows = await env.sql()`select id, user_id from claims where campaign_id = ${id}`;
      expect(new Set(rows.map((r) => r.user_id)).size).toBe(300);
      for (const r of rows) if (original.has(r.user_id)) expect(r.id).toBe(original.get(r.user_id));
      const state = (await call(a.app, 'GET', `/v1/campaigns/${id}`)).body;
      expect(state).toMatchObject({ remaining: 0, state: 'sold_out' });
      const runs =
        await env.sql()`select report from reconciliation_runs where trigger = 'recovery' and campaign_id = ${id}`;
      expect(runs.some((r) => r.report.campaigns[0].repairs.rebuilt)).toBe(true);
      // Hundreds of requests hit the lost campaign at once: each instance started one restore, not one each.
      expect(runs.length).toBeLessThanOrEqual(2);
    });
  },
);

describe.each(TOPOLOGIES)('the whole Redis database is flushed while the worker is down (%s)', (topology) => {
  let redis: PrivateRedis | undefined;
  let env: TestEnv;
  let a: Instance;

  beforeAll(async () => {
    // A private server to flush; on the cluster, everything of this deployment is deleted from every master.
    redis = topology === 'standalone' ? await startPrivateRedis() : undefined;
    env = await createTestEnv(
      `flush-${topology}`,
      { REBUILD_SETTLE_MS: '100', ...(redis ? { REDIS_URL: redis.url } : {}) },
      { topology },
    );
    a = env.instance();
  });
  afterAll(async () => {
    await env.cleanup();
    await redis?.stop();
  });

  it('recovers from Postgres under live traffic and never lets Postgres exceed the stock', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 200 });
    const persistedWinners = users('kept', 80);
    const lostWinners = users('lost', 20);
    const newUsers = users('new', 300);
    let worker = env.worker();
    for (const u of persistedWinners) expect((await claim(a.app, id, env.userToken(u))).status).toBe(201);
    await eventually(
      async () =>
        (await env.sql()`select count(*)::int as n from claims where campaign_id = ${id}`)[0]!.n === 80,
    );
    await worker.close();
    // Acknowledged, queued, never persisted: with a Redis that keeps nothing on disk, a flush loses them.
    for (const u of lostWinners) expect((await claim(a.app, id, env.userToken(u))).status).toBe(201);
    await a.services.producer.drain(); // their jobs are in the queue now: the flush takes them too

    if (redis) {
      const raw = new Redis(redis.url);
      await raw.flushdb();
      expect(await raw.dbsize()).toBe(0);
      raw.disconnect();
    } else {
      expect(await deleteKeys(env.config, deploymentKeys(env.config))).toBeGreaterThan(0);
    }

    const watch = postgresWatch(env, id, 200);
    const answers = await trafficUntilRecovered(env, [a, env.instance()], id, [
      ...persistedWinners,
      ...lostWinners,
      ...newUsers,
    ]);
    worker = env.worker();
    await eventually(
      async () =>
        (await env.sql()`select count(*)::int as n from claims where campaign_id = ${id}`)[0]!.n >= 200,
    );
    await new Promise((r) => setTimeout(r, 300)); // anything still in flight would land now
    expect(await watch.stop()).toBe(200);

    for (const u of persistedWinners) expect(answers.get(u)!.every((s) => s === 409 || s === 503)).toBe(true);
    // The flush really happened and was repaired: an instance rebuilt the campaign from Postgres alone.
    const runs =
      await env.sql()`select report from reconciliation_runs where trigger = 'recovery' and campaign_id = ${id}`;
    const rebuild = runs.map((r) => r.report.campaigns[0]).find((c) => c.repairs.rebuilt);
    expect(rebuild.violations[0].values.rebuild).toMatchObject({
      fromPostgres: 80,
      fromQueue: 0,
      fromRedis: 0,
    });
    const [row] = await env.sql()`
      select count(*)::int as n, count(distinct user_id)::int as users from claims where campaign_id = ${id}`;
    expect(row).toEqual({ n: 200, users: 200 });
    const { body } = await call(a.app, 'GET', `/v1/campaigns/${id}`);
    expect(body).toMatchObject({ totalStock: 200, remaining: 0 });
  });
});
