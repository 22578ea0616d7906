import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleDecisionKey, campaignKeys } from '../redis/keys.ts';
import { scripts } from '../redis/scripts/index.ts';
import { createTestEnv, type Instance, type TestEnv, TOPOLOGIES } from '../testing/harness.ts';
import { admin, call, claim, createCampaign, eventually, type Reply } from '../testing/http.ts';
import { runIdOf } from '../testing/lua.ts';
import { decide } from './decision.ts';

const HOLD_MS = 400;

describe.each(TOPOLOGIES)('gift packs, all or nothing (%s)', (topology) => {
  let env: TestEnv;
  let instances: Instance[];
  const app = (i: number) => instances[i % instances.length]!.app;

  beforeAll(async () => {
    env = await createTestEnv(`bundle-${topology}`, { BUNDLE_HOLD_MS: String(HOLD_MS) }, { topology });
    instances = [env.instance(), env.instance(), env.instance()];
    env.worker();
  });
  afterAll(() => env.cleanup());

  const stats = async (id: string) => (await admin(app(0), 'GET', `/campaigns/${id}/stats`)).body;
  const pack = async (campaignIds: string[]) => {
    const res = await admin(app(0), 'POST', '/bundles', { name: 'pack', campaignIds });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const press = (i: number, bundleId: string, user: string, idem?: string): Promise<Reply> =>
    call(app(i), 'POST', `/v1/bundles/${bundleId}/claims`, {
      token: env.userToken(user),
      headers: idem ? { 'idempotency-key': idem } : {},
    });
  const remaining = async (ids: string[]) => Promise.all(ids.map(async (id) => (await stats(id)).remaining));

  it('defines packs of 2 to 100 known campaigns without stock buckets', async () => {
    const a = await createCampaign(app(0), { totalStock: 1 });
    const b = await createCampaign(app(0), { totalStock: 1 });
    const split = await createCampaign(app(0), { totalStock: 4, buckets: 2 });
    const created = await admin(app(1), 'POST', '/bundles', {
      id: 'pack-ab',
      name: 'ab',
      campaignIds: [a.id, b.id],
    });
    expect(created.status).toBe(201);
    expect((await admin(app(2), 'GET', '/bundles/pack-ab')).body).toMatchObject({
      campaignIds: [a.id, b.id],
    });
    const again = await admin(app(1), 'POST', '/bundles', {
      id: 'pack-ab',
      name: 'ab',
      campaignIds: [a.id, b.id],
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('bundle_exists');
    const unknown = await admin(app(0), 'POST', '/bundles', { name: 'x', campaignIds: [a.id, 'nope'] });
    expect([unknown.status, unknown.body.error.campaignIds]).toEqual([404, ['nope']]);
    for (const campaignIds of [[a.id], [a.id, a.id], [a.id, split.id]]) {
      const bad = await admin(app(0), 'POST', '/bundles', { name: 'x', campaignIds });
      expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_request']);
    }
    expect((await admin(app(0), 'GET', '/bundles/none')).status).toBe(404);
    expect((await press(0, 'none', 'u')).status).toBe(404);
    expect((await call(app(0), 'POST', '/v1/admin/bundles', { body: {} })).status).toBe(401);
  });

  it('claims one coupon of each campaign, once per user; a replay answers the same; the last ones sell out whole', async () => {
    const ids = await Promise.all(
      [0, 1, 2].map(async () => (await createCampaign(app(0), { totalStock: 2 })).id),
    );
    const bundleId = await pack(ids);
    const first = await press(0, bundleId, 'alice', 'k1');
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.claims.map((c: { campaignId: string }) => c.campaignId)).toEqual(ids);
    expect(new Set(first.body.claims.map((c: { userId: string }) => c.userId))).toEqual(new Set(['alice']));
    const replay = await press(1, bundleId, 'alice', 'k1');
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    const twice = await press(2, bundleId, 'alice');
    expect([twice.status, twice.body.error.code, twice.body.error.campaignIds]).toEqual([
      409,
      'already_claimed',
      ids,
    ]);
    // The press' request id travels with its claims (log lines downstream name it).
    const bob = await call(app(1), 'POST', `/v1/bundles/${bundleId}/claims`, {
      token: env.userToken('bob'),
      headers: { 'x-request-id': 'req-pack-bob' },
    });
    expect(bob.status).toBe(201);
    const decision = JSON.parse(
      (await env.redis().get(bundleDecisionKey(env.config.REDIS_PREFIX, bob.body.bundleClaimId)))!,
    );
    expect(decision.claims.map((c: { requestId?: string }) => c.requestId)).toEqual(
      ids.map(() => 'req-pack-bob'),
    );
    const late = await press(2, bundleId, 'carol');
    expect([late.status, late.body.error.code, late.body.error.campaignIds]).toEqual([410, 'sold_out', ids]);
    expect(await remaining(ids)).toEqual([0, 0, 0]);
    // The coupons are ordinary coupons: claims/me lists them, single claims see the limit.
    expect((await claim(app(0), ids[0]!, env.userToken('alice'))).status).toBe(409);
    await eventually(async () => (await stats(ids[2]!)).pending === 0);
    // Once the claims are in Postgres (their records gone from Redis) the key still replays the press.
    const later = await press(2, bundleId, 'alice', 'k1');
    expect([later.status, later.body]).toEqual([200, first.body]);
    const rows = await env.sql()`
      select bundle_claim_id, count(*)::int as n from claims where campaign_id in ${env.sql()(ids)}
      group by bundle_claim_id`;
    expect(rows.map((r) => r.n)).toEqual([3, 3]);
  });

  it('a refusal anywhere changes nothing anywhere', async () => {
    const scarce = (await createCampaign(app(0), { totalStock: 1 })).id;
    const plenty = (await createCampaign(app(0), { totalStock: 5 })).id;
    const paused = (await createCampaign(app(0), { totalStock: 5 })).id;
    expect((await claim(app(0), scarce, env.userToken('first'))).status).toBe(201);
    const bundleId = await pack([plenty, scarce]);
    const refused = await press(1, bundleId, 'dave');
    expect([refused.status, refused.body.error.campaignIds]).toEqual([410, [scarce]]);
    expect(await remaining([plenty, scarce])).toEqual([5, 0]);
    expect((await claim(app(2), plenty, env.userToken('dave'))).status).toBe(201); // dave's place is free

    const head = await admin(app(0), 'GET', `/campaigns/${paused}`);
    const patched = await call(app(0), 'PATCH', `/v1/admin/campaigns/${paused}`, {
      token: 'test-admin-token',
      body: { paused: true },
      headers: { 'if-match': head.headers.get('etag')! },
    });
    expect(patched.status).toBe(200);
    const withPaused = await pack([plenty, paused]);
    const r = await press(0, withPaused, 'erin');
    expect([r.status, r.body.error.reason, r.body.error.campaignIds]).toEqual([403, 'paused', [paused]]);
    expect(await remaining([plenty, paused])).toEqual([4, 5]);
  });

  it('a press abandoned between the phases is settled by the reconciler: given back, or committed if decided', async () => {
    const ids = await Promise.all(
      [0, 1].map(async () => (await createCampaign(app(0), { totalStock: 3 })).id),
    );
    const redis = env.redis();
    // An instance that reserved and died (kill -9) before deciding, and one that died after deciding.
    const reserveAll = async (user: string, bundleClaimId: string) =>
      Promise.all(
        ids.map(async (campaignId, i) => {
          const keys = campaignKeys(env.config.REDIS_PREFIX, campaignId);
          const runId = await runIdOf(redis, keys.meta);
          const res = {
            campaignId,
            userId: user,
            claimId: crypto.randomUUID(),
            couponCode: `ABCD-0000-0000-000${i}-${user.length}0AA`,
            bundleClaimId,
          };
          const r = await scripts.reserveUnit(redis, keys, res, { runId, holdMs: HOLD_MS });
          if (r.kind !== 'reserved') throw new Error(r.kind);
          return r.claim;
        }),
      );
    const undecided = crypto.randomUUID();
    await reserveAll('ghost', undecided);
    const decided = crypto.randomUUID();
    const claims = await reserveAll('phantom', decided);
    const router = instances[0]!.services.clients.router;
    await decide(router, env.config.REDIS_PREFIX, decided, { state: 'commit', claims }, 60);
    expect(await remaining(ids)).toEqual([1, 1]);
    // Before the deadline nothing is touched; after it, each press is settled by its decision.
    const early = await admin(app(1), 'POST', '/reconcile', { campaignId: ids[0] });
    expect(early.body.campaigns[0].repairs.reservationsSettled).toBe(0);
    await new Promise((r) => setTimeout(r, HOLD_MS + 1_200));
    for (const id of ids) {
      const report = await admin(app(1), 'POST', '/reconcile', { campaignId: id });
      expect(report.body.campaigns[0].repairs.reservationsSettled, JSON.stringify(report.body)).toBe(2);
    }
    expect(await remaining(ids)).toEqual([2, 2]);
    // The late instance cannot commit the undecided press now: "abort" was recorded first.
    const late = await decide(router, env.config.REDIS_PREFIX, undecided, { state: 'commit', claims }, 60);
    expect(late.state).toBe('abort');
    await eventually(async () => (await stats(ids[1]!)).pending === 0);
    const rows = await env.sql()`select user_id from claims where campaign_id in ${env.sql()(ids)}`;
    expect(rows.map((r) => r.user_id)).toEqual(['phantom', 'phantom']);
    for (const id of ids)
      expect((await admin(app(2), 'POST', '/reconcile', { campaignId: id })).body.ok).toBe(true);
  });
});
