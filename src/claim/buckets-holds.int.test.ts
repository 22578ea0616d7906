import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeBucket } from '../domain/buckets.ts';
import { campaignKeys } from '../redis/keys.ts';
import { parseClaimEntries } from '../redis/records/claim-ids.ts';
import { scripts } from '../redis/scripts/index.ts';
import { couponCode, uuidv7 } from '../shared/ids.ts';
import { createTestEnv, type Instance, type TestEnv } from '../testing/harness.ts';
import { admin, claim, createCampaign, eventually } from '../testing/http.ts';

const HOLD_MS = 300;

/**
 * An instance that dies between the steps of a sale from another bucket leaves a hold at the user's home
 * bucket. The reconciler settles it once its deadline has passed: confirmed when a bucket sold the
 * claim (the user keeps it and cannot go over the limit), released when none did.
 */
describe('holds left behind by an instance that died mid-sale', () => {
  let env: TestEnv;
  let api: Instance;

  beforeAll(async () => {
    env = await createTestEnv('bucket-holds', { BUCKET_HOLD_MS: String(HOLD_MS) });
    api = env.instance();
    env.worker();
  });
  afterAll(() => env.cleanup());

  const router = () => api.services.clients.router;
  const userHomedAt = (bucket: number, n: number, tag: string) =>
    Array.from({ length: 200 }, (_, i) => `${tag}-${i}`).find((u) => homeBucket(u, n) === bucket)!;

  /** Places a hold at the user's home (bucket 1 of 2, which is empty) the way the claim service does. */
  async function placeHold(id: string, user: string, claimId: string) {
    const home = campaignKeys(env.config.REDIS_PREFIX, id, 1, 2);
    const held = await router().run(home.meta, (r, runId) =>
      scripts.claim(r, home, {
        campaignId: id,
        userId: user,
        claimId,
        couponCode: couponCode(),
        idempotencyTtlSeconds: 60,
        runId,
        holdMs: HOLD_MS,
      }),
    );
    if (held.kind !== 'held') throw new Error(`expected a hold, got ${held.kind}`);
    return { home, held };
  }

  const entriesOf = async (id: string, user: string) => {
    const home = campaignKeys(env.config.REDIS_PREFIX, id, 1, 2);
    return parseClaimEntries(await router().run(home.meta, (r) => r.hget(home.users, user)));
  };

  it('confirms a hold whose claim another bucket sold, and releases one nobody sold', async () => {
    // 2 units: one in each bucket. A user homed in bucket 1 empties it.
    const { id } = await createCampaign(api.app, { totalStock: 3, buckets: 2 });
    for (const tag of ['first', 'second']) {
      expect((await claim(api.app, id, env.userToken(userHomedAt(1, 2, tag)))).status).toBe(201);
    }
    const sold = userHomedAt(1, 2, 'sold');
    const abandoned = userHomedAt(1, 2, 'abandoned');

    // Instance A: hold at home, unit sold in bucket 0, then it dies before confirming.
    const soldId = uuidv7();
    const { held } = await placeHold(id, sold, soldId);
    const donor = campaignKeys(env.config.REDIS_PREFIX, id, 0, 2);
    const sale = await router().run(donor.meta, (r, runId) =>
      scripts.claimForeign(
        r,
        donor,
        {
          campaignId: id,
          userId: sold,
          claimId: soldId,
          couponCode: couponCode(),
          ordinal: held.ordinal,
          deadline: held.deadline,
          homeBucket: 1,
          homeSeq: held.seq,
        },
        runId,
      ),
    );
    expect(sale.kind).toBe('claimed');
    // Instance B: hold at home, then it dies before asking any other bucket.
    await placeHold(id, abandoned, uuidv7());
    expect(await entriesOf(id, sold)).toEqual([{ id: soldId, hold: true }]);

    // The sale's claim reaches Postgres through the reconciler's pending sweep; the holds wait for it.
    await new Promise((r) => setTimeout(r, HOLD_MS + 1_200));
    const report = await admin(api.app, 'POST', '/reconcile', { campaignId: id });
    expect(report.body.campaigns[0].repairs.holdsResolved, JSON.stringify(report.body)).toBe(2);
    expect(report.body.ok, JSON.stringify(report.body)).toBe(true);
    expect(await entriesOf(id, sold)).toEqual([{ id: soldId, bucket: 0 }]);
    expect(await entriesOf(id, abandoned)).toEqual([]);

    // The limit (1) holds for the one who got the unit; the campaign is sold out for everyone else.
    const again = await claim(api.app, id, env.userToken(sold));
    expect(again.status).toBe(409);
    expect(again.body.error.claimIds).toEqual([soldId]);
    expect((await claim(api.app, id, env.userToken(abandoned))).status).toBe(410);
    await eventually(
      async () => (await admin(api.app, 'GET', `/campaigns/${id}/stats`)).body.persisted === 3,
    );
  });

  it('a donor refuses a hold whose deadline has passed', async () => {
    const { id } = await createCampaign(api.app, { totalStock: 2, buckets: 2 });
    expect((await claim(api.app, id, env.userToken(userHomedAt(1, 2, 'empty')))).status).toBe(201);
    const late = userHomedAt(1, 2, 'late');
    const claimId = uuidv7();
    const { held } = await placeHold(id, late, claimId);
    await new Promise((r) => setTimeout(r, HOLD_MS + 50));
    const donor = campaignKeys(env.config.REDIS_PREFIX, id, 0, 2);
    const sale = await router().run(donor.meta, (r, runId) =>
      scripts.claimForeign(
        r,
        donor,
        {
          campaignId: id,
          userId: late,
          claimId,
          couponCode: couponCode(),
          ordinal: held.ordinal,
          deadline: held.deadline,
          homeBucket: 1,
          homeSeq: held.seq,
        },
        runId,
      ),
    );
    expect(sale.kind).toBe('expired');
  });
});
