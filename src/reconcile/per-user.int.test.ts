import { afterAll, beforeAll, expect, it } from 'vitest';
import { couponCode, uuidv7 } from '../shared/ids.ts';
import { createTestEnv, type Instance, type TestEnv } from '../testing/harness.ts';
import { admin, claim, createCampaign, eventually } from '../testing/http.ts';

let env: TestEnv;
let app: Instance['app'];

beforeAll(async () => {
  env = await createTestEnv('per-user');
  app = env.instance().app;
  env.worker();
});
afterAll(() => env.cleanup());

it('reports a user over the limit in Postgres (a row written behind the service), and only that user', async () => {
  const { id } = await createCampaign(app, { totalStock: 50, perUserLimit: 2 });
  for (const u of ['ann', 'ann', 'bea']) expect((await claim(app, id, env.userToken(u))).status).toBe(201);
  await eventually(async () => (await admin(app, 'GET', `/campaigns/${id}/stats`)).body.pending === 0);
  // A third coupon for ann, inserted by hand: Postgres' unique (campaign, user, ordinal) lets it in only
  // with an ordinal above the limit, which is what the check looks for.
  await env.sql()`
    insert into claims (id, campaign_id, user_id, ordinal, coupon_code, claimed_at, seq, bucket)
    values (${uuidv7()}, ${id}, 'ann', 3, ${couponCode('TEST')}, now(), 999999, 0)`;
  const report = (await admin(app, 'POST', '/reconcile', { campaignId: id })).body;
  const i5 = report.campaigns[0].violations.filter((v: { invariant: string }) => v.invariant === 'I5');
  expect(i5).toHaveLength(1);
  expect(i5[0].values.users).toEqual({ ann: 3 });
  expect(report.ok).toBe(false);
});
