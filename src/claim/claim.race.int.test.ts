import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type Instance, type TestEnv, TOPOLOGIES } from '../testing/harness.ts';
import { admin, claim, createCampaign, eventually, type Reply } from '../testing/http.ts';

describe.each(TOPOLOGIES)('three app instances, one campaign (%s)', (topology) => {
  let env: TestEnv;
  let instances: Instance[];

  beforeAll(async () => {
    env = await createTestEnv(`race-${topology}`, {}, { topology });
    instances = [env.instance(), env.instance(), env.instance()];
    env.worker();
  });
  afterAll(() => env.cleanup());

  it('3,000 users (1,000 of them firing 5 duplicates at once) on stock 700: exactly 700 distinct winners', async () => {
    const { id } = await createCampaign(instances[0]!.app, { totalStock: 700 });
    const users = Array.from({ length: 3_000 }, (_, i) => `racer-${i}`);
    const tokens = new Map(users.map((u) => [u, env.userToken(u)]));
    // Users 0..999 are impatient: 5 requests at once, on different instances. Even ones retry with one
    // Idempotency-Key (a client library's retry); odd ones just press the button again.
    const requests: { user: string; idem?: string; reply: Promise<Reply> }[] = [];
    users.forEach((user, i) => {
      const copies = i < 1_000 ? 5 : 1;
      for (let k = 0; k < copies; k++) {
        const idem = i < 1_000 && i % 2 === 0 ? `retry-${user}` : undefined;
        const app = instances[(i + k) % instances.length]!.app;
        requests.push({ user, idem, reply: claim(app, id, tokens.get(user)!, idem) });
      }
    });
    const replies = await Promise.all(requests.map(async (r) => ({ ...r, res: await r.reply })));
    expect(replies).toHaveLength(7_000);

    const byStatus = new Map<number, number>();
    for (const { res } of replies) byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
    expect(
      [...byStatus.keys()].every((s) => [200, 201, 409, 410].includes(s)),
      JSON.stringify([...byStatus]),
    ).toBe(true);

    const created = replies.filter((r) => r.res.status === 201);
    expect(created).toHaveLength(700);
    const winners = new Set(created.map((r) => r.user));
    expect(winners.size).toBe(700);
    for (const r of created) expect(r.res.body.claim.userId).toBe(r.user);

    // Every duplicate of a winner is either the idempotent replay (same body) or 409 naming the claim.
    const original = new Map(created.map((r) => [r.user, r.res.body]));
    for (const r of replies) {
      if (r.res.status === 201 || !winners.has(r.user)) continue;
      if (r.idem) {
        expect(r.res.status).toBe(200);
        expect(r.res.body).toEqual(original.get(r.user));
      } else {
        expect(r.res.status).toBe(409);
        expect(r.res.body.error.claimIds).toEqual([original.get(r.user).claim.id]);
      }
    }
    // Nobody who lost got a 200 or 409 (they never held a coupon).
    for (const r of replies) if (!winners.has(r.user)) expect(r.res.status).toBe(410);

    const stats = await admin(instances[1]!.app, 'GET', `/campaigns/${id}/stats`);
    expect(stats.body).toMatchObject({ totalStock: 700, remaining: 0, claimed: 700 });

    await eventually(
      async () => (await admin(instances[2]!.app, 'GET', `/campaigns/${id}/stats`)).body.pending === 0,
    );
    const sql = env.sql();
    const [row] = await sql`
      select count(*)::int as rows, count(distinct user_id)::int as users, count(distinct coupon_code)::int as codes
      from claims where campaign_id = ${id}`;
    expect(row).toEqual({ rows: 700, users: 700, codes: 700 });
    const stored = await sql`select user_id from claims where campaign_id = ${id}`;
    expect(new Set(stored.map((s) => s.user_id))).toEqual(winners);
  });
});
