import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeBucket } from '../domain/buckets.ts';
import { claimWithoutEnqueue } from '../testing/claims.ts';
import {
  ADMIN_TOKEN,
  createTestEnv,
  deleteKeys,
  deploymentKeys,
  type Instance,
  SERVICE_TOKEN,
  type TestEnv,
  TOPOLOGIES,
} from '../testing/harness.ts';
import { admin, call, claim, createCampaign, eventually } from '../testing/http.ts';

const service = (app: Instance['app'], method: string, path: string, body?: unknown) =>
  call(app, method, `/v1${path}`, { token: SERVICE_TOKEN, ...(body === undefined ? {} : { body }) });

/**
 * The coupon's life after the grab, through several instances: redeemed exactly once (also while it is
 * still pending in Redis), given back exactly once (its unit back in stock for everyone), expired by
 * Postgres' clock; and what Redis and Postgres hold stays equal through it, a rebuild included.
 */
describe.each(TOPOLOGIES)('coupons after the grab (%s)', (topology) => {
  let env: TestEnv;
  let apis: Instance[];

  beforeAll(async () => {
    env = await createTestEnv(`coupons-${topology}`, {}, { topology });
    apis = [env.instance(), env.instance(), env.instance()];
    env.worker();
  });
  afterAll(() => env.cleanup());

  const app = (i: number) => apis[i % apis.length]!.app;
  const stats = async (id: string) => (await admin(app(0), 'GET', `/campaigns/${id}/stats`)).body;
  const won = async (id: string, user: string) => {
    const res = await claim(app(0), id, env.userToken(user));
    expect(res.status).toBe(201);
    return res.body.claim as { id: string; couponCode: string };
  };

  it('a pending coupon is looked up and redeemed exactly once by 50 concurrent orders', async () => {
    // The claim's enqueue never happens: it stays pending in Redis, not in Postgres.
    const { id } = await createCampaign(app(0), { totalStock: 5 });
    const [claimId] = await claimWithoutEnqueue(apis[0]!, id, ['redeemer']);
    const [pendingRecord] = await env.sql()`select id from claims where id = ${claimId!}`;
    expect(pendingRecord).toBeUndefined();
    const code = (
      await call(app(0), 'GET', `/v1/campaigns/${id}/claims/me`, { token: env.userToken('redeemer') })
    ).body.claims[0].couponCode as string;
    const c = { id: claimId!, couponCode: code };
    const looked = await service(app(1), 'GET', `/coupons/${c.couponCode}`);
    expect(looked.status).toBe(200);
    expect(looked.body.coupon).toMatchObject({ code: c.couponCode, claimId: c.id, status: 'pending' });
    expect(
      (await call(app(2), 'GET', `/v1/coupons/${c.couponCode}`, { token: env.userToken('redeemer') })).status,
    ).toBe(200);
    expect(
      (await call(app(2), 'GET', `/v1/coupons/${c.couponCode}`, { token: env.userToken('someone') })).status,
    ).toBe(404);
    expect((await call(app(2), 'GET', `/v1/coupons/${c.couponCode}`)).status).toBe(401);
    expect((await service(app(2), 'GET', '/coupons/not-a-code')).status).toBe(400);

    const orders = Array.from({ length: 50 }, (_, i) => `order-${i}`);
    const answers = await Promise.all(
      orders.map((orderId, i) => service(app(i), 'POST', `/coupons/${c.couponCode}/redeem`, { orderId })),
    );
    const ok = answers.filter((a) => a.status === 200);
    expect(ok).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409 && a.body.error.code === 'already_redeemed')).toHaveLength(
      49,
    );
    const winner = ok[0]!.body.coupon;
    expect(winner).toMatchObject({ status: 'redeemed', claimId: c.id });
    const replay = await service(app(2), 'POST', `/coupons/${c.couponCode}/redeem`, {
      orderId: winner.orderId,
    });
    expect(replay.status).toBe(200);
    expect(replay.body.coupon).toEqual(winner);
    const [row] = await env.sql()`select status, order_id from claims where id = ${c.id}`;
    expect(row).toEqual({ status: 'redeemed', order_id: winner.orderId });
    // The reconciler hands the claim to the worker later: the row is there already, and stays redeemed.
    await admin(app(0), 'POST', '/reconcile', { campaignId: id });
    await eventually(async () => (await stats(id)).pending === 0);
    const mine = await call(app(1), 'GET', `/v1/campaigns/${id}/claims/me`, {
      token: env.userToken('redeemer'),
    });
    expect(mine.body.claims).toMatchObject([{ id: c.id, status: 'redeemed' }]);
    expect(
      (await service(app(0), 'POST', '/coupons/AAAA-BBBB-CCCC-DDDD-EEEE/redeem', { orderId: 'x' })).status,
    ).toBe(404);
  });

  it('a coupon given back returns its unit once, to everyone, and the user may claim again', async () => {
    const { id } = await createCampaign(app(0), { totalStock: 2 });
    const first = await won(id, 'giver');
    await won(id, 'other');
    // Instance 2 learns the campaign is sold out (its snapshot answers from now on).
    expect((await claim(app(2), id, env.userToken('late'))).status).toBe(410);
    expect((await claim(app(2), id, env.userToken('late-2'))).status).toBe(410);
    const path = `/v1/campaigns/${id}/claims/${first.id}/release`;
    expect((await call(app(1), 'POST', path, { token: env.userToken('other') })).status).toBe(404);
    const answers = await Promise.all(
      [0, 1, 2].map((i) => call(app(i), 'POST', path, { token: env.userToken('giver') })),
    );
    for (const a of answers) expect(a.status).toBe(200);
    expect(answers[0]!.body.claim).toMatchObject({ id: first.id, status: 'released' });
    expect(answers[1]!.body).toEqual(answers[0]!.body);
    expect(await stats(id)).toMatchObject({ totalStock: 2, remaining: 1, claimed: 1, released: 1 });
    // Every instance sees the unit back; one claim gets it.
    expect((await claim(app(2), id, env.userToken('late'))).status).toBe(201);
    expect(await stats(id)).toMatchObject({ remaining: 0, claimed: 2 });
    // Given back means given back: it cannot be redeemed; the giver may claim again (limit 1).
    const redeem = await service(app(0), 'POST', `/coupons/${first.couponCode}/redeem`, { orderId: 'o-1' });
    expect(redeem.status).toBe(409);
    expect(redeem.body.error.code).toBe('coupon_released');
    expect((await claim(app(1), id, env.userToken('giver'))).status).toBe(410);
    const mine = await call(app(0), 'GET', `/v1/campaigns/${id}/claims/me`, {
      token: env.userToken('giver'),
    });
    expect(mine.body.claims).toMatchObject([{ id: first.id, status: 'released' }]);
  });

  it('a redeemed coupon cannot be given back; an admin may give back anyone’s', async () => {
    const { id } = await createCampaign(app(0), { totalStock: 3 });
    const used = await won(id, 'user-a');
    const kept = await won(id, 'user-b');
    expect(
      (await service(app(0), 'POST', `/coupons/${used.couponCode}/redeem`, { orderId: 'o-a' })).status,
    ).toBe(200);
    const refused = await call(app(1), 'POST', `/v1/campaigns/${id}/claims/${used.id}/release`, {
      token: env.userToken('user-a'),
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('already_redeemed');
    const byAdmin = await call(app(2), 'POST', `/v1/campaigns/${id}/claims/${kept.id}/release`, {
      token: ADMIN_TOKEN,
    });
    expect(byAdmin.status).toBe(200);
    expect((await stats(id)).remaining).toBe(2);
  });

  it('releases while 600 users claim: Postgres and Redis end with exactly the stock held', async () => {
    const { id } = await createCampaign(app(0), { totalStock: 100 });
    const users = Array.from({ length: 600 }, (_, i) => `storm-${i}`);
    const first = await Promise.all(users.slice(0, 300).map((u, i) => claim(app(i), id, env.userToken(u))));
    const winners = first.filter((r) => r.status === 201).map((r) => r.body.claim);
    expect(winners).toHaveLength(100);
    const releases = winners.slice(0, 40).map((c, i) =>
      call(app(i), 'POST', `/v1/campaigns/${id}/claims/${c.id}/release`, {
        token: env.userToken(c.userId),
      }),
    );
    const more = users.slice(300).map((u, i) => claim(app(i), id, env.userToken(u)));
    const [released, second] = await Promise.all([Promise.all(releases), Promise.all(more)]);
    for (const r of released) expect(r.status).toBe(200);
    const resold = second.filter((r) => r.status === 201).length;
    expect(resold).toBeLessThanOrEqual(40);
    for (const r of second) expect([201, 410]).toContain(r.status);
    const s = await stats(id);
    expect(s.claimed + s.remaining).toBe(100);
    expect(s.claimed).toBe(60 + resold);
    await eventually(async () => (await stats(id)).pending === 0);
    const [row] = await env.sql()`
      select count(*) filter (where not unit_returned)::int as held, count(*) filter (where status = 'released')::int as released
      from claims where campaign_id = ${id}`;
    expect(row).toEqual({ held: 60 + resold, released: 40 });
    const report = await admin(app(1), 'POST', '/reconcile', { campaignId: id });
    expect(report.body.ok, JSON.stringify(report.body)).toBe(true);
  });

  it('a coupon expires by Postgres’ clock; a campaign may take expired units back', async () => {
    const keep = await createCampaign(app(0), { totalStock: 3, couponTtlSeconds: 1 });
    const back = await createCampaign(app(0), { totalStock: 3, couponTtlSeconds: 1, returnExpired: true });
    const a = await won(keep.id, 'exp-a');
    await won(back.id, 'exp-b');
    await new Promise((r) => setTimeout(r, 1_300));
    const redeem = await service(app(1), 'POST', `/coupons/${a.couponCode}/redeem`, { orderId: 'late' });
    expect(redeem.status).toBe(410);
    expect(redeem.body.error.code).toBe('coupon_expired');
    for (const { id } of [keep, back])
      expect((await admin(app(2), 'POST', '/reconcile', { campaignId: id })).body.ok).toBe(true);
    expect(await stats(keep.id)).toMatchObject({ expired: 1, remaining: 2, claimed: 1 });
    expect(await stats(back.id)).toMatchObject({ expired: 1, remaining: 3, claimed: 0 });
    // An expired coupon still counts for its user.
    expect((await claim(app(0), back.id, env.userToken('exp-b'))).status).toBe(409);
    const looked = await service(app(0), 'GET', `/coupons/${a.couponCode}`);
    expect(looked.body.coupon).toMatchObject({ status: 'expired' });
  });

  it('a rebuild after Redis loses everything keeps given-back units given back, once', async () => {
    const { id } = await createCampaign(app(0), { totalStock: 10, buckets: topology === 'cluster' ? 3 : 1 });
    const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => won(id, `rb-${i}`)));
    for (const c of claims.slice(0, 2)) {
      const r = await call(app(1), 'POST', `/v1/campaigns/${id}/claims/${c.id}/release`, {
        token: env.userToken(`rb-${claims.indexOf(c)}`),
      });
      expect(r.status).toBe(200);
    }
    await eventually(async () => (await stats(id)).pending === 0);
    await deleteKeys(env.config, [deploymentKeys(env.config)[0]!]);
    const report = await admin(app(2), 'POST', '/reconcile', { campaignId: id });
    expect(report.body.campaigns[0].repairs.rebuilt).toBe(true);
    expect(await stats(id)).toMatchObject({ totalStock: 10, remaining: 6, claimed: 4, released: 2 });
    // The released users may claim again; the others still hold theirs.
    expect((await claim(app(0), id, env.userToken('rb-0'))).status).toBe(201);
    expect((await claim(app(0), id, env.userToken('rb-3'))).status).toBe(409);
    const again = await admin(app(1), 'POST', '/reconcile', { campaignId: id });
    expect(again.body.ok).toBe(true);
    expect((await stats(id)).remaining).toBe(5);
  });

  it('a coupon sold from another bucket goes back to that bucket', async () => {
    const { id } = await createCampaign(app(0), { totalStock: 2, buckets: 2 });
    const [h0, h1] = [0, 1].map((b) =>
      Array.from({ length: 100 }, (_, i) => `bk-${b}-${i}`).filter((u) => homeBucket(u, 2) === b),
    );
    await won(id, h0![0]!); // bucket 0 sold
    const away = await won(id, h0![1]!); // bucket 0 empty: sold by bucket 1
    expect((await claim(app(1), id, env.userToken(h1![0]!))).status).toBe(410);
    const r = await call(app(2), 'POST', `/v1/campaigns/${id}/claims/${away.id}/release`, {
      token: env.userToken(h0![1]!),
    });
    expect(r.status).toBe(200);
    const s = await stats(id);
    expect(s.buckets.map((b: { remaining: number }) => b.remaining)).toEqual([0, 1]);
    expect((await claim(app(1), id, env.userToken(h1![0]!))).status).toBe(201);
  });
});
