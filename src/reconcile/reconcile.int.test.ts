import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignKeys } from '../redis/keys.ts';
import { couponCode, uuidv7 } from '../shared/ids.ts';
import { claimWithoutEnqueue } from '../testing/claims.ts';
import {
  ADMIN_TOKEN,
  createTestEnv,
  type Instance,
  JWT_SECRET,
  redisOf,
  type TestEnv,
  TOPOLOGIES,
} from '../testing/harness.ts';
import { admin, call, claim, createCampaign, eventually } from '../testing/http.ts';
import { scriptClaim } from '../testing/lua.ts';
import { startReconcileScheduler } from './scheduler.ts';

const GRACE_MS = 300;

describe.each(TOPOLOGIES)('the reconciler (%s)', (topology) => {
  let env: TestEnv;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    env = await createTestEnv(`reconcile-${topology}`, { PENDING_GRACE_MS: String(GRACE_MS) }, { topology });
    a = env.instance();
    b = env.instance();
    env.worker();
  });
  afterAll(() => env.cleanup());

  const rows = async (campaignId: string) =>
    (
      await env.sql()`select count(*)::int as n, count(distinct id)::int as ids, count(distinct user_id)::int as users
      from claims where campaign_id = ${campaignId}`
    )[0]!;
  const users = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  const pastGrace = () => new Promise((r) => setTimeout(r, GRACE_MS + 100));

  /** `npm run reconcile -- --campaign <id>` as an operator runs it, against this file's database and prefix. */
  function runCli(campaignId: string) {
    return new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/cli/reconcile.ts', '--campaign', campaignId],
        {
          env: {
            ...process.env,
            DATABASE_URL: env.databaseUrl,
            REDIS_URL: env.config.REDIS_URL,
            ...(env.config.REDIS_CLUSTER_NODES
              ? { REDIS_CLUSTER_NODES: env.config.REDIS_CLUSTER_NODES }
              : {}),
            REDIS_PREFIX: env.config.REDIS_PREFIX,
            ADMIN_TOKEN,
            JWT_SECRET,
            LOG_LEVEL: 'silent',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        out += d;
      });
      child.on('exit', (code) => resolve({ code, out }));
    });
  }

  describe('lost enqueues', () => {
    it('one reconciler run puts every claim whose enqueue never happened into Postgres exactly once', async () => {
      const { id } = await createCampaign(a.app, { totalStock: 500 });
      const ids = await claimWithoutEnqueue(a, id, users('lost', 300));
      await pastGrace();
      expect((await rows(id)).n).toBe(0);

      const report = await a.services.reconciler.run({ trigger: 'manual', campaignId: id });
      const [c] = report.campaigns;
      expect(c!.repairs.requeued).toBe(300);
      expect(c!.violations).toEqual([expect.objectContaining({ invariant: 'I4', repaired: true })]);
      expect(report.ok).toBe(true);

      await eventually(async () => (await rows(id)).n === 300);
      const stored = (await env.sql()`select id from claims where campaign_id = ${id}`)
        .map((r) => r.id)
        .sort();
      expect(stored).toEqual([...ids].sort());
      expect(await rows(id)).toEqual({ n: 300, ids: 300, users: 300 });
      await eventually(async () => (await admin(a.app, 'GET', `/campaigns/${id}/stats`)).body.pending === 0);
      const again = await a.services.reconciler.run({ trigger: 'manual', campaignId: id });
      expect(again.campaigns[0]).toMatchObject({ drained: true, violations: [] });
    });

    it('two reconcilers at once: no duplicate rows, one consistent report each', async () => {
      const { id } = await createCampaign(a.app, { totalStock: 500 });
      await claimWithoutEnqueue(a, id, users('twice', 200));
      await pastGrace();
      const [r1, r2] = await Promise.all([
        a.services.reconciler.run({ trigger: 'manual', campaignId: id }),
        b.services.reconciler.run({ trigger: 'schedule', campaignId: id }),
      ]);
      const requeued = [r1, r2].map((r) => r.campaigns[0]!.repairs.requeued).sort((x, y) => x - y);
      expect(requeued).toEqual([0, 200]);
      for (const r of [r1, r2]) {
        expect(r.ok).toBe(true);
        const c = r.campaigns[0]!;
        // Each report adds up on its own: what Redis holds is either persisted or pending.
        expect(c.redis.claimed).toBe(200);
        expect(c.redis.pending + c.postgres.persisted).toBeGreaterThanOrEqual(200);
      }
      expect(r1.runId).not.toBe(r2.runId);
      await eventually(async () => (await rows(id)).n === 200);
      await new Promise((r) => setTimeout(r, 300));
      expect(await rows(id)).toEqual({ n: 200, ids: 200, users: 200 });
    });
  });

  describe('invariant checks', () => {
    it('repairs counters that disagree with the claim records (I2)', async () => {
      const { id } = await createCampaign(a.app, { totalStock: 10 });
      for (const u of users('i2', 4)) await claim(a.app, id, env.userToken(u));
      const keys = campaignKeys(env.config.REDIS_PREFIX, id);
      await redisOf(a).hincrby(keys.meta, 'remaining', 3);
      const report = await a.services.reconciler.run({ trigger: 'manual', campaignId: id });
      const c = report.campaigns[0]!;
      expect(c.repairs.countersFixed).toBe(true);
      expect(c.violations).toEqual([
        expect.objectContaining({
          invariant: 'I2',
          repaired: true,
          values: expect.objectContaining({ remaining: 9 }),
        }),
      ]);
      expect(report.ok).toBe(true);
      expect(await redisOf(a).hmget(keys.meta, 'remaining', 'claimed', 'totalStock')).toEqual([
        '6',
        '4',
        '10',
      ]);
    });

    it('reports an oversell it cannot undo (I1) and is not ok', async () => {
      const { id } = await createCampaign(a.app, { totalStock: 3 });
      for (const u of users('i1', 3)) await claim(a.app, id, env.userToken(u));
      await env.sql()`update campaigns set total_stock = 2 where id = ${id}`;
      const report = await a.services.reconciler.run({ trigger: 'manual', campaignId: id });
      expect(report.ok).toBe(false);
      const i1 = report.campaigns[0]!.violations.find((v: { invariant: string }) => v.invariant === 'I1');
      expect(i1).toMatchObject({ repaired: false, message: 'oversold: 3 claims for 2 coupons' });
      await env.sql()`update campaigns set total_stock = 3 where id = ${id}`;
    });
  });

  describe('truthful under load', () => {
    it('while claims run through two instances, every report is ok and the CLI exits 0', async () => {
      const { id } = await createCampaign(a.app, { totalStock: 1_000 });
      let running = true;
      const reports: { ok: boolean; violations: unknown[] }[] = [];
      const reconciling = (async () => {
        while (running) {
          const r = await b.services.reconciler.run({ trigger: 'manual', campaignId: id });
          reports.push({ ok: r.ok, violations: r.campaigns.flatMap((c) => c.violations) });
          await new Promise((res) => setTimeout(res, 20));
        }
      })();
      let next = 0;
      const buyer = async () => {
        while (next < 1_500) {
          const i = next++;
          await claim(i % 2 ? a.app : b.app, id, env.userToken(`busy-${i}`));
        }
      };
      const buying = Promise.all(Array.from({ length: 40 }, buyer));
      const cli = await runCli(id);
      await buying;
      running = false;
      await reconciling;
      expect(reports.length).toBeGreaterThan(3);
      expect(reports.filter((r) => !r.ok)).toEqual([]);
      expect(cli.code, cli.out).toBe(0);
      await eventually(async () => (await rows(id)).n === 1_000);
    });
  });

  describe('a claim Postgres cannot store', () => {
    it('is filed and reported by id, and never stops the claims of anyone else or a pass', async () => {
      const poisonedCampaign = await createCampaign(a.app, { totalStock: 10 });
      const other = await createCampaign(a.app, { totalStock: 10 });
      // A record written before identities were checked at the edge: a NUL in the user id.
      const redis = env.redis();
      const made = await scriptClaim(redis, env.config.REDIS_PREFIX, poisonedCampaign.id, 'bad\u0000user');
      expect(made.kind).toBe('claimed');
      const [poisoned] = await redis.zrange(
        campaignKeys(env.config.REDIS_PREFIX, poisonedCampaign.id).pending,
        '0',
        '0',
      );
      for (const u of ['fine-1', 'fine-2'])
        expect((await claim(a.app, poisonedCampaign.id, env.userToken(u))).status).toBe(201);
      for (const u of ['other-1', 'other-2'])
        expect((await claim(b.app, other.id, env.userToken(u))).status).toBe(201);
      await pastGrace();
      // A whole pass: the poisoned claim is filed and reported; every other claim gets to Postgres.
      const report = await a.services.reconciler.run({ trigger: 'manual' });
      const poisonedReport = report.campaigns.find((c) => c.campaignId === poisonedCampaign.id)!;
      expect(
        report.campaigns.find((c) => c.campaignId === other.id)!.violations.filter((v) => !v.repaired),
      ).toEqual([]);
      await eventually(
        async () => (await rows(poisonedCampaign.id)).n === 2 && (await rows(other.id)).n === 2,
      );
      const again = await a.services.reconciler.run({ trigger: 'manual', campaignId: poisonedCampaign.id });
      const refused = again.campaigns[0]!.violations.find((v) => v.invariant === 'refused');
      expect(refused).toMatchObject({ repaired: false, values: { claims: { [poisoned!]: 'invalid' } } });
      expect(again.ok).toBe(false);
      expect(poisonedReport).toBeDefined();
      // Claims keep flowing for everyone else.
      expect((await claim(a.app, poisonedCampaign.id, env.userToken('after'))).status).toBe(201);
      await eventually(async () => (await rows(poisonedCampaign.id)).n === 3);
    });

    it('does not hold back the batch that carries it', async () => {
      const { id } = await createCampaign(a.app, { totalStock: 10 });
      const claimOf = (userId: string, seq: number) => ({
        id: uuidv7(),
        campaignId: id,
        userId,
        couponCode: couponCode(),
        claimedAt: Date.now(),
        ordinal: 1,
        seq,
      });
      const batch = [
        claimOf('ok-a', 1),
        claimOf('nul\u0000b', 2),
        claimOf('ok-c', 3),
        claimOf('lone\ud800', 4),
      ];
      const outcome = await a.services.repos.claims.insertMany(batch);
      expect(outcome.inserted.sort()).toEqual([batch[0]!.id, batch[2]!.id].sort());
      expect(outcome.refused).toEqual([
        { id: batch[1]!.id, reason: 'invalid' },
        { id: batch[3]!.id, reason: 'invalid' },
      ]);
    });
  });

  describe('doors', () => {
    it('POST /v1/admin/reconcile runs now and GET /v1/admin/reconciliations lists the reports', async () => {
      const { id } = await createCampaign(a.app, { totalStock: 5 });
      const run = await admin(b.app, 'POST', '/reconcile', { campaignId: id });
      expect(run.status).toBe(200);
      expect(run.body).toMatchObject({ trigger: 'manual', ok: true, campaigns: [{ campaignId: id }] });
      const listed = await call(a.app, 'GET', '/v1/admin/reconciliations?limit=5', { token: ADMIN_TOKEN });
      expect(listed.body.runs[0]).toMatchObject({ runId: run.body.runId, trigger: 'manual' });
      expect((await admin(a.app, 'POST', '/reconcile', { campaignId: 'Bad Id' })).status).toBe(400);
      expect((await admin(a.app, 'POST', '/reconcile', { campaignId: 'missing-one' })).status).toBe(404);
      expect(
        (await call(a.app, 'GET', '/v1/admin/reconciliations?limit=x', { token: ADMIN_TOKEN })).status,
      ).toBe(400);
      expect((await call(a.app, 'POST', '/v1/admin/reconcile')).status).toBe(401);
    });

    it('the job scheduler runs the reconciler on its own', async () => {
      const { services } = a;
      const scheduled = async () => {
        const res = await call(a.app, 'GET', '/v1/admin/reconciliations?limit=200', { token: ADMIN_TOKEN });
        return res.body.runs.filter((r: { trigger: string }) => r.trigger === 'schedule').length as number;
      };
      const before = await scheduled();
      const scheduler = await startReconcileScheduler({
        queue: services.clients.reconcileQueue,
        connection: services.clients.shared,
        everyMs: 300,
        reconciler: services.reconciler,
        log: services.log,
      });
      try {
        await eventually(async () => (await scheduled()) >= before + 2, 15_000);
      } finally {
        await scheduler.close();
      }
    });

    it('npm run reconcile exits 0 after a clean run and non-zero on drift it cannot repair', async () => {
      const { id } = await createCampaign(a.app, { totalStock: 2 });
      for (const u of users('cli', 2)) await claim(a.app, id, env.userToken(u));
      await eventually(async () => (await rows(id)).n === 2);
      const cli = () => runCli(id);
      const clean = await cli();
      expect(clean.code, clean.out).toBe(0);
      expect(clean.out).toContain(`${id}: claimed 2/2, persisted 2`);

      await env.sql()`update campaigns set total_stock = 1 where id = ${id}`;
      const drift = await cli();
      expect(drift.code, drift.out).toBe(1);
      expect(drift.out).toMatch(/UNREPAIRED I1: oversold: 2 claims for 1 coupons/);
      await env.sql()`update campaigns set total_stock = 2 where id = ${id}`;
    });
  });
});
