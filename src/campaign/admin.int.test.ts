import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignKeys } from '../redis/keys.ts';
import { scripts } from '../redis/scripts/index.ts';
import { ADMIN_TOKEN, createTestEnv, type Instance, redisOf, type TestEnv } from '../testing/harness.ts';
import { admin, call, claim, createCampaign } from '../testing/http.ts';
import { runIdOf } from '../testing/lua.ts';

let env: TestEnv;
let a: Instance;
let b: Instance;

beforeAll(async () => {
  env = await createTestEnv('admin');
  a = env.instance();
  b = env.instance();
  env.worker();
});
afterAll(() => env.cleanup());

const patch = (inst: Instance, id: string, body: unknown, ifMatch?: string, actor?: string) =>
  call(inst.app, 'PATCH', `/v1/admin/campaigns/${id}`, {
    token: ADMIN_TOKEN,
    body,
    headers: {
      ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }),
      ...(actor ? { 'x-actor': actor } : {}),
    },
  });

const stock = (inst: Instance, id: string, delta: unknown, headers: Record<string, string> = {}) =>
  call(inst.app, 'POST', `/v1/admin/campaigns/${id}/stock`, { token: ADMIN_TOKEN, body: { delta }, headers });

describe('PATCH with If-Match', () => {
  it('428 without If-Match, 412 when stale, and the version rises by one per change', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 5 });
    const got = await admin(a.app, 'GET', `/campaigns/${id}`);
    expect(got.headers.get('etag')).toBe('"1"');

    const missing = await patch(a, id, { name: 'renamed' });
    expect(missing.status).toBe(428);
    expect(missing.body.error.code).toBe('precondition_required');

    const ok = await patch(a, id, { name: 'renamed' }, '"1"', 'alice');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ name: 'renamed', version: 2 });
    expect(ok.headers.get('etag')).toBe('"2"');
    expect((await call(b.app, 'GET', `/v1/campaigns/${id}`)).body.name).toBe('renamed');

    const stale = await patch(b, id, { name: 'older idea' }, '"1"');
    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({ code: 'precondition_failed', currentVersion: 2 });
    expect((await admin(a.app, 'GET', `/campaigns/${id}`)).body).toMatchObject({
      name: 'renamed',
      version: 2,
    });
  });

  it('two PATCHes with the same If-Match at once: one 200, one 412, version +1', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 5 });
    const [r1, r2] = await Promise.all([
      patch(a, id, { name: 'from a' }, '"1"'),
      patch(b, id, { name: 'from b' }, '"1"'),
    ]);
    expect([r1.status, r2.status].sort()).toEqual([200, 412]);
    const winner = r1.status === 200 ? 'from a' : 'from b';
    expect((await admin(a.app, 'GET', `/campaigns/${id}`)).body).toMatchObject({ name: winner, version: 2 });
    const live = await redisOf(a).hmget(campaignKeys(env.config.REDIS_PREFIX, id).meta, 'name', 'version');
    expect(live).toEqual([winner, '2']);
  });

  it('moves the window and refuses bad edits without changing anything', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 5 });
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const moved = await patch(
      a,
      id,
      { startsAt: later, endsAt: new Date(Date.now() + 7_200_000).toISOString() },
      '"1"',
    );
    expect(moved.status).toBe(200);
    const early = await claim(a.app, id, env.userToken('too-early'));
    expect(early.body.error).toMatchObject({ code: 'campaign_not_active', reason: 'not_started' });
    for (const [body, status] of [
      [{ endsAt: new Date(Date.now() + 60_000).toISOString() }, 400], // ends before it starts
      [{ totalStock: 9 }, 400], // not editable here: stock has its own endpoint
      [{}, 400],
      [{ paused: 'yes' }, 400],
    ] as const) {
      const res = await patch(a, id, body, '"2"');
      expect(res.status, JSON.stringify(body)).toBe(status);
    }
    expect((await patch(a, id, { name: 'x' }, 'not-a-version')).status).toBe(400);
    // RFC 9110: a write compares strongly, so a weak tag or another spelling of the version never
    // matches (412); a value that is no entity-tag at all is a bad request.
    for (const tag of ['W/"2"', '"02"', '"3"'])
      expect((await patch(a, id, { name: 'x' }, tag)).status, tag).toBe(412);
    for (const tag of ['2', '2"', '"2', 'W/2'])
      expect((await patch(a, id, { name: 'x' }, tag)).status, tag).toBe(400);
    expect((await patch(a, 'no-such', { name: 'x' }, '"1"')).status).toBe(404);
    expect((await admin(a.app, 'GET', `/campaigns/${id}`)).body.version).toBe(2);
  });

  it('pause and resume take effect on every instance at once', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 5 });
    const paused = await call(a.app, 'POST', `/v1/admin/campaigns/${id}/pause`, { token: ADMIN_TOKEN });
    expect(paused.body).toMatchObject({ paused: true, version: 2 });
    const refused = await claim(b.app, id, env.userToken('pause-user'));
    expect(refused.body.error).toMatchObject({ code: 'campaign_not_active', reason: 'paused' });
    expect((await call(b.app, 'GET', `/v1/campaigns/${id}`)).body.state).toBe('paused');
    // Pausing a paused campaign changes nothing.
    expect(
      (await call(b.app, 'POST', `/v1/admin/campaigns/${id}/pause`, { token: ADMIN_TOKEN })).body.version,
    ).toBe(2);
    await call(b.app, 'POST', `/v1/admin/campaigns/${id}/resume`, { token: ADMIN_TOKEN });
    expect((await claim(a.app, id, env.userToken('pause-user'))).status).toBe(201);
  });
});

describe('stock changes', () => {
  it('adds and removes stock; removing more than remains is 409 and changes nothing', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 3 });
    await claim(a.app, id, env.userToken('s1'));
    const added = await stock(a, id, 5, { 'x-actor': 'bob' });
    expect(added.status).toBe(200);
    expect(added.body.adjustment).toMatchObject({
      delta: 5,
      actor: 'bob',
      totalBefore: 3,
      totalAfter: 8,
      remainingAfter: 7,
    });
    expect(added.body.campaign).toMatchObject({ totalStock: 8, version: 2 });

    const tooMuch = await stock(b, id, -8);
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.error).toMatchObject({ code: 'insufficient_stock', remaining: 7 });
    expect((await call(a.app, 'GET', `/v1/campaigns/${id}`)).body).toMatchObject({
      totalStock: 8,
      remaining: 7,
    });

    const removed = await stock(b, id, -7);
    expect(removed.body.campaign.totalStock).toBe(1);
    expect((await claim(a.app, id, env.userToken('s2'))).status).toBe(410);
    for (const bad of [0, 1.5, 'ten', null]) expect((await stock(a, id, bad)).status).toBe(400);
  });

  it('a retried stock change with the same Idempotency-Key applies once', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 10 });
    const key = { 'idempotency-key': 'restock-42' };
    const [r1, r2] = await Promise.all([stock(a, id, 100, key), stock(b, id, 100, key)]);
    expect([r1.body.replayed, r2.body.replayed].sort()).toEqual([false, true]);
    expect(r1.body.adjustment).toEqual(r2.body.adjustment);
    expect((await admin(a.app, 'GET', `/campaigns/${id}`)).body).toMatchObject({
      totalStock: 110,
      version: 2,
    });
    expect((await call(a.app, 'GET', `/v1/campaigns/${id}`)).body.totalStock).toBe(110);
  });

  it('records who changed what, when, before and after', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 10 });
    await stock(a, id, 15, { 'x-actor': 'carol' });
    await patch(b, id, { name: 'Big sale' }, '"2"', 'dave');
    const { body } = await admin(a.app, 'GET', `/campaigns/${id}/changes`);
    const changes = body.changes.map((c: any) => ({
      actor: c.actor,
      action: c.action,
      before: c.before,
      after: c.after,
    }));
    expect(changes[0]).toEqual({
      actor: 'dave',
      action: 'update',
      before: { name: 'test campaign' },
      after: { name: 'Big sale' },
    });
    expect(changes[1]).toMatchObject({
      actor: 'carol',
      action: 'stock',
      before: { totalStock: 10 },
      after: { totalStock: 25, delta: 15 },
    });
    expect(changes[2]).toMatchObject({ actor: 'admin', action: 'create', before: null });
    expect(typeof body.changes[0].at).toBe('string');
  });

  it('2,000 claims on stock 500 while an operator adds 200 and removes 100: exactly 600 winners', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 500 });
    const keys = campaignKeys(env.config.REDIS_PREFIX, id);
    const watcher = env.redis();
    const samples: (string | null)[][] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        samples.push(await watcher.hmget(keys.meta, 'remaining', 'claimed', 'totalStock'));
        await new Promise((r) => setImmediate(r));
      }
    })();

    // 100 buyers through both instances, each pausing 20-50 ms between claims (about 2,000 claims/s):
    // operator and buyers share this process, and a saturated event loop would starve the operator's
    // Postgres round trips until the sale was over. The changes go in after 100 and 200 answers, when at
    // least 200 coupons remain whichever lands first, so both apply while claims keep landing around them.
    const statuses: number[] = [];
    const ops: Promise<{ status: number }>[] = [];
    let next = 0;
    const buyer = async () => {
      while (next < 2_000) {
        const i = next++;
        const res = await claim(i % 2 ? a.app : b.app, id, env.userToken(`race-${i}`));
        statuses.push(res.status);
        if (statuses.length === 100) ops.push(stock(a, id, 200, { 'x-actor': 'ops' }));
        if (statuses.length === 200) ops.push(stock(b, id, -100, { 'x-actor': 'ops' }));
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
      }
    };
    await Promise.all(Array.from({ length: 100 }, buyer));
    const opResults = await Promise.all(ops);
    watching = false;
    await watch;

    expect(
      opResults.map((r) => r.status),
      JSON.stringify(opResults.map((r) => (r as { body?: unknown }).body)),
    ).toEqual([200, 200]);
    expect(statuses.filter((s) => s === 201)).toHaveLength(600);
    expect(statuses.filter((s) => s === 410)).toHaveLength(1_400);
    expect(samples.length).toBeGreaterThan(10);
    for (const [remaining, claimed, total] of samples) {
      expect(Number(remaining)).toBeGreaterThanOrEqual(0);
      expect(Number(remaining) + Number(claimed)).toBe(Number(total));
    }
    expect(await watcher.hmget(keys.meta, 'remaining', 'claimed', 'totalStock')).toEqual(['0', '600', '600']);
    expect((await admin(a.app, 'GET', `/campaigns/${id}`)).body.totalStock).toBe(600);
  });
});

describe('a crash between Redis and Postgres is repaired by the reconciler', () => {
  it('a stock change applied in Redis but never recorded in Postgres', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 10 });
    const keys = campaignKeys(env.config.REDIS_PREFIX, id);
    // The process dies right after the script: Redis changed, Postgres never heard of it.
    const applied = await scripts.adjustStock(redisOf(a), keys, {
      adjustmentId: '01890a5d-ac96-774b-bcce-b302099a8057',
      delta: 40,
      actor: 'erin',
      runId: await runIdOf(redisOf(a), keys.meta),
    });
    expect(applied.kind).toBe('applied');
    expect((await admin(a.app, 'GET', `/campaigns/${id}`)).body.totalStock).toBe(10);

    const report = await a.services.reconciler.run({ trigger: 'manual', campaignId: id });
    const [c] = report.campaigns;
    expect(c!.repairs.stockChangesRecorded).toBe(1);
    expect(c!.violations.find((v) => v.invariant === 'stock')).toMatchObject({ repaired: true });
    expect(report.ok, JSON.stringify(c!.violations)).toBe(true);
    expect((await admin(a.app, 'GET', `/campaigns/${id}`)).body).toMatchObject({
      totalStock: 50,
      version: 2,
    });
    const { body } = await admin(a.app, 'GET', `/campaigns/${id}/changes`);
    expect(body.changes[0]).toMatchObject({
      actor: 'erin',
      action: 'stock',
      after: { totalStock: 50, recordedBy: 'reconciler' },
    });
    // A second pass finds nothing more to do.
    expect(
      (await a.services.reconciler.run({ trigger: 'manual', campaignId: id })).campaigns[0]!.repairs
        .stockChangesRecorded,
    ).toBe(0);
  });

  it('a definition committed in Postgres but never written to Redis', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 10 });
    await env.sql()`update campaigns set paused = true, name = 'edited', version = version + 1 where id = ${id}`;
    expect((await claim(a.app, id, env.userToken('before-sync'))).status).toBe(201);
    const report = await a.services.reconciler.run({ trigger: 'manual', campaignId: id });
    expect(report.campaigns[0]!.repairs.definitionSynced).toBe(true);
    expect((await claim(a.app, id, env.userToken('after-sync'))).body.error.reason).toBe('paused');
    expect((await call(a.app, 'GET', `/v1/campaigns/${id}`)).body.name).toBe('edited');
  });
});
