import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestEnv, type Instance, type TestEnv, TOPOLOGIES } from '../testing/harness.ts';
import { call, claim, createCampaign, eventually } from '../testing/http.ts';
import { type PrivateCluster, startPrivateCluster } from '../testing/redis-cluster.ts';
import { type PrivateRedis, startPrivateRedis } from '../testing/redis-server.ts';

describe.each(TOPOLOGIES)('the sold-out snapshot (%s)', (topology) => {
  // A private server (or cluster) of its own: these tests freeze it.
  let redis: PrivateRedis | PrivateCluster;
  let env: TestEnv;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    redis = topology === 'standalone' ? await startPrivateRedis() : await startPrivateCluster();
    const where: Record<string, string> =
      'url' in redis ? { REDIS_URL: redis.url } : { REDIS_CLUSTER_NODES: redis.seeds };
    env = await createTestEnv(`soldout-${topology}`, where, { topology });
    a = env.instance();
    b = env.instance();
  });
  afterAll(async () => {
    await env.cleanup();
    await redis.stop();
  });

  /** Sells a campaign out through instance `a` and waits until `a` has its snapshot. */
  async function soldOutCampaign(stock: number, winners: string[]) {
    const { id } = await createCampaign(a.app, { totalStock: stock, perUserLimit: 1 });
    const ids = new Map<string, string>();
    for (const u of winners) ids.set(u, (await claim(a.app, id, env.userToken(u))).body.claim.id);
    expect((await claim(a.app, id, env.userToken('first-loser'))).status).toBe(410);
    await eventually(async () => a.services.soldOut.check(id, 'anyone')?.kind === 'sold_out', 2_000, 10);
    return { id, ids };
  }

  describe('answering a sold-out campaign without Redis', () => {
    it('keeps the script answers (409 with claim ids for winners, 410 for others) with Redis frozen', async () => {
      const { id, ids } = await soldOutCampaign(2, ['w1', 'w2']);
      redis.freeze();
      try {
        const started = performance.now();
        const loser = await claim(a.app, id, env.userToken('late-user'));
        const winner = await claim(a.app, id, env.userToken('w1'));
        expect(performance.now() - started).toBeLessThan(100);
        expect(loser.status).toBe(410);
        expect(loser.body.error.code).toBe('sold_out');
        expect(winner.status).toBe(409);
        expect(winner.body.error).toMatchObject({ code: 'already_claimed', claimIds: [ids.get('w1')] });
        // A replay needs the stored claim: with an Idempotency-Key the request goes to Redis.
        expect((await claim(a.app, id, env.userToken('w2'), 'some-key')).status).toBe(503);
      } finally {
        redis.thaw();
      }
      // The gate stays shut for a moment after the silence it saw; wait until reads go through again.
      await eventually(
        async () => (await call(a.app, 'GET', `/v1/campaigns/${id}`)).status === 200,
        5_000,
        50,
      );
    });

    it('stock added on another instance reopens the campaign everywhere', async () => {
      const { id } = await soldOutCampaign(1, ['only-winner']);
      const added = await call(b.app, 'POST', `/v1/admin/campaigns/${id}/stock`, {
        token: ADMIN_TOKEN,
        body: { delta: 1 },
      });
      expect(added.status).toBe(200);
      await eventually(async () => a.services.soldOut.check(id, 'x') === undefined, 2_000, 10);
      expect((await claim(a.app, id, env.userToken('second-winner'))).status).toBe(201);
      expect((await claim(a.app, id, env.userToken('third'))).status).toBe(410);
    });

    it('a pause after sell-out is answered as paused, like the script would', async () => {
      const { id } = await soldOutCampaign(1, ['p-winner']);
      await call(b.app, 'POST', `/v1/admin/campaigns/${id}/pause`, { token: ADMIN_TOKEN });
      await eventually(
        async () => (await claim(a.app, id, env.userToken('p-late'))).status === 403,
        2_000,
        20,
      );
      const res = await claim(a.app, id, env.userToken('p-late'));
      expect(res.body.error).toMatchObject({ code: 'campaign_not_active', reason: 'paused' });
    });

    it('can be switched off', async () => {
      const off = env.instance({ SOLD_OUT_CACHE_MS: '0' });
      const { id } = await createCampaign(off.app, { totalStock: 0 });
      expect((await claim(off.app, id, env.userToken('u'))).status).toBe(410);
      await new Promise((r) => setTimeout(r, 50));
      expect(off.services.soldOut.check(id, 'u')).toBeUndefined();
    });
  });
});
