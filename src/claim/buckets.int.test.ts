import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeBucket } from '../domain/buckets.ts';
import { allBucketKeys } from '../redis/keys.ts';
import { createTestEnv, deleteKeys, type Instance, type TestEnv, TOPOLOGIES } from '../testing/harness.ts';
import { admin, call, claim, createCampaign, eventually, type Reply } from '../testing/http.ts';

/**
 * A hot campaign split over stock buckets, through five app instances: exactly its stock is sold, the
 * per-user limit holds across buckets, and nobody is told "sold out" while a bucket still has stock.
 */
describe.each(TOPOLOGIES)('a campaign with stock buckets (%s)', (topology) => {
  let env: TestEnv;
  let instances: Instance[];

  beforeAll(async () => {
    env = await createTestEnv(`buckets-${topology}`, {}, { topology });
    instances = Array.from({ length: 5 }, () => env.instance());
    env.worker();
  });
  afterAll(() => env.cleanup());

  const app = (i: number) => instances[i % instances.length]!.app;
  const statsOf = async (id: string) => (await admin(app(0), 'GET', `/campaigns/${id}/stats`)).body;
  const drained = (id: string) => eventually(async () => (await statsOf(id)).pending === 0, 20_000);

  it('spreads the buckets over the masters', async () => {
    await createCampaign(app(0), { totalStock: 1 }); // the slot map is known once a campaign was written
    const keys = allBucketKeys(env.config.REDIS_PREFIX, 'spread', 6);
    const masters = new Set(keys.map((k) => instances[0]!.services.clients.router.nodeFor(k.meta).address));
    expect(masters.size).toBe(topology === 'cluster' ? 3 : 1);
  });

  it('6 buckets, 3,000 users with a limit of 2, those of one bucket pressing 3 times, stock 1,000: exact', async () => {
    const { id } = await createCampaign(app(0), { totalStock: 1_000, perUserLimit: 2, buckets: 6 });
    const users = Array.from({ length: 3_000 }, (_, i) => `bu-${i}`);
    const replies: { user: string; res: Reply; at: number }[] = [];
    // Bucket 0's users come first, pressing three times at once: their bucket runs out while the others
    // still have stock, and their claims fall through to them. Then everyone else, all at once.
    const press = (user: string, i: number, k: number) =>
      claim(app(i + k), id, env.userToken(user)).then((res) => replies.push({ user, res, at: Date.now() }));
    const eager = users.filter((u) => homeBucket(u, 6) === 0);
    await Promise.all(eager.flatMap((u, i) => [0, 1, 2].map((k) => press(u, i, k))));
    await Promise.all(users.filter((u) => homeBucket(u, 6) !== 0).map((u, i) => press(u, i, 0)));
    const statuses = new Map<number, number>();
    for (const r of replies) statuses.set(r.res.status, (statuses.get(r.res.status) ?? 0) + 1);
    expect(
      [...statuses.keys()].every((s) => [201, 409, 410].includes(s)),
      JSON.stringify([...statuses]),
    ).toBe(true);
    const created = replies.filter((r) => r.res.status === 201);
    expect(created).toHaveLength(1_000);
    const perUser = new Map<string, number>();
    for (const r of created) perUser.set(r.user, (perUser.get(r.user) ?? 0) + 1);
    expect(Math.max(...perUser.values())).toBeLessThanOrEqual(2);
    // No phantom sold-out: every 410 was answered after the last unit was sold (Redis' clock is this
    // machine's). Units never move between buckets, so each refusal saw every bucket empty.
    const lastSale = Math.max(...created.map((r) => r.res.body.claim.claimedAt as number));
    const early = replies.filter((r) => r.res.status === 410 && r.at < lastSale);
    expect(early, `refused before the last sale at ${lastSale}`).toHaveLength(0);
    // Claims were sold by every bucket, some of them away from the user's home bucket.
    const sold = created.map((r) => r.res.body.claim);
    const stats = await statsOf(id);
    expect(stats).toMatchObject({ totalStock: 1_000, remaining: 0, claimed: 1_000 });
    expect(stats.buckets).toHaveLength(6);
    for (const b of stats.buckets) expect(b).toMatchObject({ remaining: 0 });
    expect(stats.buckets.reduce((n: number, b: { claimed: number }) => n + b.claimed, 0)).toBe(1_000);
    await drained(id);
    const sql = env.sql();
    const rows = await sql`
      select user_id, bucket, home_bucket, count(*) over (partition by user_id)::int as n from claims
      where campaign_id = ${id}`;
    expect(rows).toHaveLength(1_000);
    expect(Math.max(...rows.map((r) => r.n))).toBeLessThanOrEqual(2);
    expect(new Set(rows.map((r) => r.bucket)).size).toBe(6);
    const away = rows.filter((r) => r.bucket !== homeBucket(r.user_id, 6)).length;
    expect(rows.filter((r) => r.home_bucket !== null).length, `sold away from home: ${away}`).toBeGreaterThan(
      0,
    );
    for (const r of rows) expect(r.home_bucket ?? r.bucket).toBe(homeBucket(r.user_id, 6));
    expect(new Set(sold.map((c) => c.couponCode)).size).toBe(1_000);
    // Every winner sees their claims, wherever they were sold.
    for (const user of [...perUser.keys()].slice(0, 50)) {
      const mine = await call(app(3), 'GET', `/v1/campaigns/${id}/claims/me`, { token: env.userToken(user) });
      expect(mine.body.claims).toHaveLength(perUser.get(user)!);
    }
    const report = await admin(app(1), 'POST', '/reconcile', { campaignId: id });
    expect(report.body.ok, JSON.stringify(report.body)).toBe(true);
  }, 120_000);

  it('an empty home bucket falls through, and its Idempotency-Key replays the claim', async () => {
    const { id } = await createCampaign(app(0), { totalStock: 1, buckets: 4 });
    // The only unit is in bucket 0; a user homed elsewhere gets it from there.
    const user = Array.from({ length: 100 }, (_, i) => `fall-${i}`).find((u) => homeBucket(u, 4) !== 0)!;
    const token = env.userToken(user);
    const first = await claim(app(1), id, token, 'key-1');
    expect(first.status).toBe(201);
    expect(first.body.claim).toMatchObject({ userId: user });
    const again = await claim(app(2), id, token, 'key-1');
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect((await claim(app(3), id, env.userToken('someone-else'))).status).toBe(410);
    expect((await claim(app(4), id, token)).status).toBe(409);
  });

  it('stock changes spread over the buckets, replay by Idempotency-Key, and refuse what is not there', async () => {
    const { id } = await createCampaign(app(0), { totalStock: 30, buckets: 3 });
    const add = await call(app(0), 'POST', `/v1/admin/campaigns/${id}/stock`, {
      token: 'test-admin-token',
      body: { delta: 7 },
      headers: { 'idempotency-key': 'add-7' },
    });
    expect(add.status).toBe(200);
    const replay = await call(app(1), 'POST', `/v1/admin/campaigns/${id}/stock`, {
      token: 'test-admin-token',
      body: { delta: 7 },
      headers: { 'idempotency-key': 'add-7' },
    });
    expect(replay.status).toBe(200);
    let stats = await statsOf(id);
    expect(stats).toMatchObject({ totalStock: 37, remaining: 37 });
    expect(stats.buckets.map((b: { totalStock: number }) => b.totalStock).sort()).toEqual([12, 12, 13]);
    // Claims run while stock is removed.
    const users = Array.from({ length: 20 }, (_, i) => `st-${i}`);
    const [removed] = await Promise.all([
      admin(app(2), 'POST', `/campaigns/${id}/stock`, { delta: -10 }),
      ...users.map((u, i) => claim(app(i), id, env.userToken(u))),
    ]);
    expect(removed.status).toBe(200);
    const tooMuch = await admin(app(3), 'POST', `/campaigns/${id}/stock`, { delta: -100 });
    expect(tooMuch.status).toBe(409);
    stats = await statsOf(id);
    expect(stats.totalStock).toBe(27);
    expect(stats.remaining + stats.claimed).toBe(27);
    const [row] = await env.sql()`select total_stock from campaigns where id = ${id}`;
    expect(row?.total_stock).toBe(27);
    await drained(id);
    const report = await admin(app(4), 'POST', '/reconcile', { campaignId: id });
    expect(report.body.ok, JSON.stringify(report.body)).toBe(true);
  });

  it('a lost bucket is rebuilt from Postgres: its users keep their claims and the stock stays exact', async () => {
    const { id } = await createCampaign(app(0), { totalStock: 60, buckets: 3 });
    const users = Array.from({ length: 40 }, (_, i) => `lost-${i}`);
    for (const [i, u] of users.entries())
      expect((await claim(app(i), id, env.userToken(u))).status).toBe(201);
    await drained(id);
    // Bucket 1 loses everything (its master restarted empty, say).
    const bucket1 = allBucketKeys(env.config.REDIS_PREFIX, id, 3)[1]!;
    await deleteKeys(env.config, [`${bucket1.meta.slice(0, bucket1.meta.lastIndexOf(':'))}:*`]);
    const report = await admin(app(1), 'POST', '/reconcile', { campaignId: id });
    expect(report.body.campaigns[0].repairs.rebuilt).toBe(true);
    for (const u of users.slice(0, 10)) expect((await claim(app(2), id, env.userToken(u))).status).toBe(409);
    const rest = Array.from({ length: 30 }, (_, i) => `after-${i}`);
    const outcomes = await Promise.all(rest.map((u, i) => claim(app(i), id, env.userToken(u))));
    expect(outcomes.filter((r) => r.status === 201)).toHaveLength(20);
    expect(outcomes.filter((r) => r.status === 410)).toHaveLength(10);
    await drained(id);
    const [row] = await env.sql()`select count(*)::int as n from claims where campaign_id = ${id}`;
    expect(row?.n).toBe(60);
  });
});
