import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpsApp, startPersistWorker } from '../bootstrap/roles.ts';
import { createServices, type Services } from '../bootstrap/services.ts';
import { createLogger } from '../shared/logger.ts';
import { claimWithoutEnqueue } from '../testing/claims.ts';
import { createTestEnv, type Instance, SERVICE_TOKEN, type TestEnv } from '../testing/harness.ts';
import { admin, call, claim, createCampaign, eventually } from '../testing/http.ts';
import { sample, scrape } from '../testing/prometheus.ts';
import { freePort } from '../testing/redis-server.ts';

/**
 * /metrics against the real servers: the counters move with real claims, the state gauges read the
 * live campaign, a worker's own port shows the persistence lag, and no user id becomes a label.
 */
let env: TestEnv;
let api: Instance;
let worker: Services;
let stopWorker: () => Promise<void>;

beforeAll(async () => {
  env = await createTestEnv('metrics');
  api = env.instance();
  worker = createServices(env.config, createLogger('silent'), { dbPoolSize: 2 });
  const w = startPersistWorker(worker);
  stopWorker = async () => {
    await w.close();
    await worker.close();
  };
});
afterAll(async () => {
  await stopWorker();
  await env.cleanup();
});

describe('/metrics', () => {
  it('counts claims by outcome, times them, and shows the campaign and the queue', async () => {
    const { id } = await createCampaign(api.app, { totalStock: 3 });
    const users = ['m-alice', 'm-bob', 'm-carol', 'm-dave', 'm-erin'];
    for (const user of users) await claim(api.app, id, env.userToken(user));
    expect((await claim(api.app, id, env.userToken('m-alice'))).status).toBe(409);
    const again = await call(api.app, 'POST', `/v1/campaigns/${id}/claims`);
    expect(again.status).toBe(401);

    await eventually(
      async () => sample(await scrape(api.app), 'flashsale_campaign_persisted', { campaign: id }) === 3,
    );
    const text = await scrape(api.app);
    expect(sample(text, 'flashsale_claims_total', { outcome: 'claimed' })).toBe(3);
    expect(sample(text, 'flashsale_claims_total', { outcome: 'sold_out' })).toBe(2);
    expect(sample(text, 'flashsale_claims_total', { outcome: 'already_claimed' })).toBe(1);
    expect(sample(text, 'flashsale_claims_total', { outcome: 'unauthorized' })).toBe(1);
    expect(sample(text, 'flashsale_claim_duration_seconds_count', { outcome: 'claimed' })).toBe(3);
    expect(
      sample(text, 'flashsale_http_requests_total', {
        method: 'POST',
        route: '/v1/campaigns/:id/claims',
        status: '201',
      }),
    ).toBe(3);
    expect(sample(text, 'flashsale_campaign_remaining', { campaign: id })).toBe(0);
    expect(sample(text, 'flashsale_campaign_claimed', { campaign: id })).toBe(3);
    expect(sample(text, 'flashsale_queue_jobs', { state: 'waiting' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'flashsale_queue_jobs', { state: 'failed' })).toBe(0);
    expect(sample(text, 'flashsale_process_cpu_seconds_total')).toBeGreaterThan(0);
    // Bounded labels: the path's campaign id appears only as the campaign gauge's label, users never.
    for (const user of users) expect(text).not.toContain(user);
    expect(text).not.toContain(`route="/v1/campaigns/${id}`);
  });

  it("serves the worker's persistence lag on the worker's own routes", async () => {
    const { id } = await createCampaign(api.app, { totalStock: 5 });
    for (const user of ['lag-1', 'lag-2'])
      expect((await claim(api.app, id, env.userToken(user))).status).toBe(201);
    const ops = createOpsApp(worker);
    await eventually(
      async () => (sample(await scrape(ops), 'flashsale_persist_lag_seconds_count') ?? 0) >= 5,
    );
    const text = await scrape(ops);
    expect(sample(text, 'flashsale_persist_lag_seconds_sum')).toBeGreaterThan(0);
    expect(sample(text, 'flashsale_persist_lag_seconds_bucket', { le: '+Inf' })).toBeGreaterThanOrEqual(5);
    expect((await ops.request('/healthz')).status).toBe(200);
    expect((await ops.request('/readyz')).status).toBe(200);
    // The worker's port serves operations only.
    expect((await ops.request(`/v1/campaigns/${id}`)).status).toBe(404);
  });

  it('counts reconciler runs and the violations they repaired', async () => {
    const { id } = await createCampaign(api.app, { totalStock: 10 });
    // Accepted, then the instance "died" before the enqueue: the pass finds them (I4) and requeues them.
    await claimWithoutEnqueue(api, id, ['lost-1', 'lost-2']);
    const res = await admin(api.app, 'POST', '/reconcile', { campaignId: id });
    expect(res.status).toBe(200);
    const text = await scrape(api.app);
    expect(sample(text, 'flashsale_reconcile_runs_total', { trigger: 'manual', ok: 'true' })).toBe(1);
    expect(sample(text, 'flashsale_reconcile_duration_seconds_count', { trigger: 'manual' })).toBe(1);
    expect(sample(text, 'flashsale_reconcile_violations_total', { invariant: 'I4', repaired: 'true' })).toBe(
      1,
    );
  });

  it('counts coupons redeemed and released once each, replays not', async () => {
    const { id } = await createCampaign(api.app, { totalStock: 5 });
    const a = (await claim(api.app, id, env.userToken('life-a'))).body.claim;
    const b = (await claim(api.app, id, env.userToken('life-b'))).body.claim;
    const redeem = () =>
      call(api.app, 'POST', `/v1/coupons/${a.couponCode}/redeem`, {
        token: SERVICE_TOKEN,
        body: { orderId: 'o-1' },
      });
    expect((await redeem()).status).toBe(200);
    expect((await redeem()).status).toBe(200);
    const release = () =>
      call(api.app, 'POST', `/v1/campaigns/${id}/claims/${b.id}/release`, { token: env.userToken('life-b') });
    expect((await release()).status).toBe(200);
    expect((await release()).status).toBe(200);
    const text = await scrape(api.app);
    expect(sample(text, 'flashsale_coupon_events_total', { event: 'redeemed' })).toBe(1);
    expect(sample(text, 'flashsale_coupon_events_total', { event: 'released' })).toBe(1);
    expect(sample(text, 'flashsale_coupon_events_total', { event: 'expired' })).toBe(0);
  });

  it('counts gift-pack presses by outcome', async () => {
    const ids = await Promise.all(
      [1, 2].map(async () => (await createCampaign(api.app, { totalStock: 1 })).id),
    );
    expect(
      (await admin(api.app, 'POST', '/bundles', { id: 'metrics-pack', name: 'p', campaignIds: ids })).status,
    ).toBe(201);
    const press = (sub: string) =>
      call(api.app, 'POST', '/v1/bundles/metrics-pack/claims', { token: env.userToken(sub) });
    expect((await press('pack-a')).status).toBe(201);
    expect((await press('pack-b')).status).toBe(410);
    expect((await press('pack-a')).status).toBe(409);
    const text = await scrape(api.app);
    expect(sample(text, 'flashsale_bundle_claims_total', { outcome: 'claimed' })).toBe(1);
    expect(sample(text, 'flashsale_bundle_claims_total', { outcome: 'sold_out' })).toBe(1);
    expect(sample(text, 'flashsale_bundle_claim_duration_seconds_count', {})).toBe(3);
  });

  it("counts the Redis gate's 503s", async () => {
    const { id } = await createCampaign(api.app, { totalStock: 5 });
    const dead = env.instance({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    const res = await claim(dead.app, id, env.userToken('no-redis'));
    expect(res.status).toBe(503);
    const text = await scrape(dead.app);
    expect(
      sample(text, 'flashsale_dependency_unavailable_total', { dependency: 'redis' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'flashsale_claims_total', { outcome: 'unavailable' })).toBe(1);
    // The state gauges cannot be read: /metrics still answers, and says so.
    expect(sample(text, 'flashsale_state_scrape_errors', { source: 'queue' })).toBe(1);
  });
});
