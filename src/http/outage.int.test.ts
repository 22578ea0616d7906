import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../testing/harness.ts';
import { admin, call, claim, createCampaign, eventually } from '../testing/http.ts';
import { type PrivateRedis, startPrivateRedis } from '../testing/redis-server.ts';
import { startTcpProxy, type TcpProxy } from '../testing/tcp-proxy.ts';

describe('Redis unreachable', () => {
  let redis: PrivateRedis;
  let env: TestEnv;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    env = await createTestEnv('redis-outage', { REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await env.cleanup();
    await redis.stop();
  });

  it('a crashed Redis gives a fast 503 with a JSON code, and claims work again once it is back', async () => {
    const { app } = env.instance();
    const { id } = await createCampaign(app, { totalStock: 10 });
    const token = env.userToken('outage-user');
    await redis.kill();
    for (const path of [`/v1/campaigns/${id}/claims`, `/v1/campaigns/${id}`]) {
      const started = performance.now();
      const res = await call(app, path.endsWith('claims') ? 'POST' : 'GET', path, { token });
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('unavailable');
      expect(res.headers.get('retry-after')).toBe('1');
    }
    expect((await call(app, 'GET', '/readyz')).status).toBe(503);

    // Redis comes back empty (it keeps nothing on disk): the campaign is restored from Postgres.
    await redis.restart();
    await eventually(async () => (await claim(app, id, token)).status === 201, 10_000, 100);
  });

  it('a frozen Redis (accepts bytes, never answers) gives a 503 within a second; retries with the same key settle it', async () => {
    const { app } = env.instance();
    const { id } = await createCampaign(app, { totalStock: 15 });
    expect((await claim(app, id, env.userToken('before-freeze'))).status).toBe(201);
    const users = Array.from({ length: 20 }, (_, i) => `frozen-${i}`);
    redis.freeze();
    try {
      const started = performance.now();
      const replies = await Promise.all(users.map((u) => claim(app, id, env.userToken(u), `key-${u}`)));
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(replies.map((r) => r.status)).toEqual(Array(20).fill(503));
      expect(replies[0]!.body.error.message).toMatch(/Idempotency-Key/);
      // While shut, the gate answers without sending anything.
      const quick = performance.now();
      expect((await claim(app, id, env.userToken('frozen-again'))).status).toBe(503);
      expect(performance.now() - quick).toBeLessThan(100);
    } finally {
      redis.thaw();
    }
    // The frozen server still had those commands: it runs them when it wakes. A 503 after a timeout
    // means "outcome unknown"; the same Idempotency-Key tells the client what happened.
    let retries: Awaited<ReturnType<typeof claim>>[] = [];
    await eventually(
      async () => {
        retries = await Promise.all(users.map((u) => claim(app, id, env.userToken(u), `key-${u}`)));
        return retries.every((r) => r.status !== 503);
      },
      5_000,
      100,
    );
    const replayed = retries.filter((r) => r.status === 200).length;
    const fresh = retries.filter((r) => r.status === 201).length;
    expect(replayed + fresh).toBe(14);
    expect(retries.filter((r) => r.status === 410)).toHaveLength(6);
    expect((await call(app, 'GET', `/v1/campaigns/${id}`)).body.remaining).toBe(0);

    // The claims the frozen server ran were never handed to the queue (their answer was a 503); their
    // replays hand them over, so they reach Postgres now, not when the reconciler's grace runs out.
    const worker = env.worker({ PENDING_GRACE_MS: '3600000' });
    const sql = env.sql();
    await eventually(
      async () => (await sql`select count(*)::int as n from claims where campaign_id = ${id}`)[0]!.n === 15,
      5_000,
      50,
    );
    await worker.close();
  });
});

describe('Postgres unreachable', () => {
  let proxy: TcpProxy;
  let env: TestEnv;

  beforeAll(async () => {
    proxy = await startTcpProxy('127.0.0.1', 5432);
    env = await createTestEnv('pg-outage');
  });
  afterAll(async () => {
    await env.cleanup();
    await proxy.close();
  });

  it('claims still succeed, and every one reaches Postgres once it is back', async () => {
    const viaProxy = env.databaseUrl.replace(':5432/', `:${proxy.port}/`);
    const { app } = env.instance({ DATABASE_URL: viaProxy });
    env.worker({ DATABASE_URL: viaProxy });
    const { id } = await createCampaign(app, { totalStock: 100 });

    proxy.cut();
    const replies = await Promise.all(
      Array.from({ length: 60 }, (_, i) => claim(app, id, env.userToken(`pg-${i}`))),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(60).fill(201));
    // Public reads come from Redis and keep working; the admin stats need Postgres and say so.
    expect((await call(app, 'GET', `/v1/campaigns/${id}`)).body.remaining).toBe(40);
    const stats = await admin(app, 'GET', `/campaigns/${id}/stats`);
    expect(stats.status).toBe(503);
    await new Promise((r) => setTimeout(r, 1_500));
    const sql = env.sql();
    expect((await sql`select count(*)::int as n from claims where campaign_id = ${id}`)[0]!.n).toBe(0);

    proxy.restore();
    await eventually(
      async () => (await sql`select count(*)::int as n from claims where campaign_id = ${id}`)[0]!.n === 60,
      30_000,
      200,
    );
    await eventually(
      async () => (await admin(app, 'GET', `/campaigns/${id}/stats`)).body.pending === 0,
      10_000,
    );
    const ids = replies.map((r) => r.body.claim.id).sort();
    const stored = (await sql`select id from claims where campaign_id = ${id} order by id`).map((r) => r.id);
    expect(stored).toEqual(ids);
  });
});
