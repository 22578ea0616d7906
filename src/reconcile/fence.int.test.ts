import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type Instance, type TestEnv } from '../testing/harness.ts';
import { claim, createCampaign, eventually } from '../testing/http.ts';
import { type PrivateRedis, startPrivateRedis } from '../testing/redis-server.ts';

/**
 * Redis comes back behind Postgres: a host crash of a Redis with `appendfsync everysec` loses the last
 * second of writes (emulated: the AOF directory is copied a second before kill -9 and put back before
 * the restart). Claims Postgres already holds are gone from Redis; the campaign must not sell their
 * coupons again.
 */
let redis: PrivateRedis;
let env: TestEnv;
let a: Instance;
let b: Instance;

beforeAll(async () => {
  redis = await startPrivateRedis(['--appendonly', 'yes', '--appendfsync', 'everysec']);
  env = await createTestEnv('fence', { REDIS_URL: redis.url, REBUILD_SETTLE_MS: '200' });
  a = env.instance();
  b = env.instance();
});
afterAll(async () => {
  await env.cleanup();
  await redis.stop();
});

const users = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const count = async (id: string) =>
  (
    await env.sql()`select count(*)::int as n, count(distinct user_id)::int as users from claims where campaign_id = ${id}`
  )[0] as {
    n: number;
    users: number;
  };

describe('Redis restarted behind Postgres', () => {
  it('holds the campaign until it is rebuilt, and never sells a coupon Postgres holds for someone', async () => {
    const worker = env.worker();
    const { id } = await createCampaign(a.app, { totalStock: 300 });
    for (const u of users('kept', 100)) expect((await claim(a.app, id, env.userToken(u))).status).toBe(201);
    await eventually(async () => (await count(id)).n === 100);
    await new Promise((r) => setTimeout(r, 1_200)); // fsynced
    const copy = redis.copyData();
    // Acknowledged and persisted, then lost by Redis with the crash.
    const forgotten = users('forgotten', 100);
    for (const u of forgotten) expect((await claim(b.app, id, env.userToken(u))).status).toBe(201);
    await eventually(async () => (await count(id)).n === 200);
    await worker.close();

    await redis.kill();
    redis.restoreData(copy);
    await redis.restart();
    const restartedAt = Date.now();
    const raw = env.redis();
    expect(await raw.hget(`${env.config.REDIS_PREFIX}:{c:${id}}:meta`, 'claimed')).toBe('100');

    const late = users('late', 300);
    const answers = new Map<string, number[]>();
    let firstSale = 0;
    const until = Date.now() + 30_000;
    for (let round = 0; ; round++) {
      const everyone = [...users('kept', 100), ...forgotten, ...late];
      const replies = await Promise.all(
        everyone.map(async (u, i) => {
          const res = await claim((i + round) % 2 ? a.app : b.app, id, env.userToken(u));
          if (res.status === 201 && !firstSale) firstSale = Date.now();
          answers.set(u, [...(answers.get(u) ?? []), res.status]);
          return res.status;
        }),
      );
      if (!replies.includes(503)) break;
      if (Date.now() > until) throw new Error('the campaign did not come back within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const after = env.worker();
    await eventually(async () => (await count(id)).n === 300);
    await new Promise((r) => setTimeout(r, 300));
    await after.close();

    // Postgres holds exactly the stock, one coupon per user; the forgotten winners were refused (409).
    expect(await count(id)).toEqual({ n: 300, users: 300 });
    for (const u of forgotten)
      expect(
        answers.get(u)!.every((s) => s === 409 || s === 503),
        u,
      ).toBe(true);
    expect(late.filter((u) => answers.get(u)!.includes(201))).toHaveLength(100);
    const runs = await env.sql()`select report from reconciliation_runs where trigger = 'recovery'`;
    const rebuilt = runs.map((r) => r.report.campaigns[0]).find((c) => c.repairs.rebuilt);
    expect(rebuilt.violations[0]).toMatchObject({ invariant: 'redis_state', repaired: true });
    expect(rebuilt.violations[0].message).toMatch(/behind/);
    console.log(
      `fence: restarted behind Postgres; first sale again ${firstSale - restartedAt} ms after the restart`,
    );
  });
});
