import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPersistWorker } from '../bootstrap/roles.ts';
import { createBucketDirectory } from '../claim/bucket-directory.ts';
import { createClaimService } from '../claim/claim.service.ts';
import { createClaimsRepo } from '../db/claims.repo.ts';
import { createDatabase, type Database } from '../db/client.ts';
import type { Claim } from '../domain/claim.ts';
import { PERSIST_JOB } from '../queue/persist.queue.ts';
import { campaignKeys } from '../redis/keys.ts';
import { couponCode, uuidv7 } from '../shared/ids.ts';
import { createTestEnv, type Instance, redisOf, type TestEnv } from '../testing/harness.ts';
import { admin, call, claim, createCampaign, eventually } from '../testing/http.ts';
import { persistClaims } from './persist.worker.ts';

let env: TestEnv;
let api: Instance;

beforeAll(async () => {
  env = await createTestEnv('persist');
  api = env.instance();
});
afterAll(() => env.cleanup());

const rowsOf = async (campaignId: string) =>
  (await env.sql()`select count(*)::int as n from claims where campaign_id = ${campaignId}`)[0]!.n as number;

let seq = 0;
function fakeClaim(campaignId: string, userId: string, ordinal = 1): Claim {
  return {
    id: uuidv7(),
    campaignId,
    userId,
    couponCode: couponCode(),
    claimedAt: Date.now(),
    ordinal,
    seq: ++seq,
  };
}

describe('persistence', () => {
  it('a worker stores accepted claims in batched INSERTs and clears them from pending', async () => {
    const { id } = await createCampaign(api.app, { totalStock: 300 });
    await Promise.all(Array.from({ length: 300 }, (_, i) => claim(api.app, id, env.userToken(`p${i}`))));
    expect(await redisOf(api).zcard(campaignKeys(env.config.REDIS_PREFIX, id).pending)).toBe(300);

    // A worker whose repository counts the INSERT statements it sends.
    const { repos } = api.services;
    let inserts = 0;
    const countingRepo = {
      ...repos.claims,
      insertMany: (batch: Claim[]) => {
        inserts++;
        return repos.claims.insertMany(batch);
      },
    };
    let jobs = 0;
    const worker = startPersistWorker(api.services, { repo: countingRepo });
    worker.on('completed', () => jobs++);
    try {
      await eventually(async () => (await rowsOf(id)) === 300);
      await eventually(
        async () => (await admin(api.app, 'GET', `/campaigns/${id}/stats`)).body.pending === 0,
      );
    } finally {
      await worker.close();
    }
    // 300 claims burst in at once: the API packs them into a handful of jobs, the worker into fewer INSERTs.
    expect(jobs).toBeGreaterThan(0);
    expect(jobs).toBeLessThanOrEqual(10);
    expect(inserts).toBeLessThanOrEqual(jobs);
  });

  it('the same claims delivered twice yield one row each', async () => {
    const { id } = await createCampaign(api.app, { totalStock: 10 });
    const batch = [fakeClaim(id, 'dup-a'), fakeClaim(id, 'dup-b')];
    const deps = {
      repo: api.services.repos.claims,
      redis: api.services.clients.router,
      keyPrefix: env.config.REDIS_PREFIX,
      log: api.services.log,
    };
    expect(await persistClaims(deps, batch)).toEqual([]);
    expect(await persistClaims(deps, batch)).toEqual([]);
    expect(await rowsOf(id)).toBe(2);

    // And through the queue: two jobs carrying the same claims, run by a live worker.
    const c = fakeClaim(id, 'dup-c');
    await api.services.clients.persistQueue.add(PERSIST_JOB, { claims: [c] }, { jobId: 'first-delivery' });
    await api.services.clients.persistQueue.add(PERSIST_JOB, { claims: [c] }, { jobId: 'second-delivery' });
    const worker = env.worker();
    await eventually(
      async () =>
        (await api.services.clients.persistQueue.getJobCounts('completed', 'waiting', 'active')).waiting ===
        0,
    );
    await eventually(async () => (await rowsOf(id)) === 3);
    await new Promise((r) => setTimeout(r, 200));
    expect(await rowsOf(id)).toBe(3);
    await worker.close();
  });

  it('a claim handed to the queue again (a replay) never costs the claims batched with it', async () => {
    const { id } = await createCampaign(api.app, { totalStock: 10 });
    const again = fakeClaim(id, 'replayed-user');
    const fresh = fakeClaim(id, 'fresh-user');
    const { producer, clients } = api.services;
    // The first batch carries the claim; the second carries it again, first, with another claim.
    await producer.enqueue([again]);
    await producer.enqueue([again, fresh]);
    const worker = env.worker();
    await eventually(async () => (await rowsOf(id)) === 2);
    expect((await clients.persistQueue.getJobCounts('waiting', 'active')).waiting).toBe(0);
    await worker.close();
  });

  it('batches reach Postgres intact on a brand-new pool, with or without drizzle patching the client', async () => {
    const { id } = await createCampaign(api.app, { totalStock: 20 });
    // A fresh pool has fetched no types yet, and a client drizzle has not touched serialises jsonb itself:
    // a batch must reach Postgres intact either way, twice on the same connection (prepared statement).
    const pools: [string, () => Database][] = [
      ['drizzle', () => createDatabase(env.databaseUrl, { max: 1 })],
      [
        'plain',
        () => {
          const sql = postgres(env.databaseUrl, { max: 1, onnotice: () => {} });
          return { db: undefined as never, sql, transaction: undefined as never, close: () => sql.end() };
        },
      ],
    ];
    for (const [name, open] of pools) {
      const database = open();
      try {
        const repo = createClaimsRepo(database);
        for (const round of [1, 2]) {
          const batch = [fakeClaim(id, `${name}-${round}-a`), fakeClaim(id, `${name}-${round}-b`)];
          expect((await repo.conflicting(batch)).size, name).toBe(0);
          expect((await repo.insertMany(batch)).inserted, name).toHaveLength(2);
          expect((await repo.existing(batch.map((c) => c.id))).size, name).toBe(2);
        }
      } finally {
        await database.close();
      }
    }
    expect(await rowsOf(id)).toBe(8);
  });

  it('a claim refused by a unique constraint does not hold back the rest of its batch', async () => {
    const { id } = await createCampaign(api.app, { totalStock: 10 });
    const deps = {
      repo: api.services.repos.claims,
      redis: api.services.clients.router,
      keyPrefix: env.config.REDIS_PREFIX,
      log: api.services.log,
    };
    const first = fakeClaim(id, 'same-user');
    await persistClaims(deps, [first]);
    // Same (campaign, user, ordinal) under another id: the database refuses it.
    const clash = fakeClaim(id, 'same-user');
    const fine = [fakeClaim(id, 'ok-1'), fakeClaim(id, 'ok-2')];
    expect(await persistClaims(deps, [fine[0]!, clash, fine[1]!])).toEqual([
      { id: clash.id, reason: 'conflict' },
    ]);
    expect(await rowsOf(id)).toBe(3);
  });

  it('a claim whose enqueue never happened (crash window) stays pending and visible', async () => {
    const { id } = await createCampaign(api.app, { totalStock: 5 });
    // The process "dies" between the Lua script and the enqueue: the producer drops the claim.
    const crashing = createClaimService({
      redis: api.services.clients.router,
      keyPrefix: env.config.REDIS_PREFIX,
      idempotencyTtlSeconds: 60,
      acknowledger: { acknowledge: async () => {} },
      restoreIfKnown: async () => false,
      directory: createBucketDirectory({ emptyMs: 0 }),
      holdMs: 5_000,
      storedOfUser: api.services.repos.coupons.ofUser,
    });
    const outcome = await crashing.claim({ campaignId: id, userId: 'crash-user' });
    expect(outcome.kind).toBe('claimed');
    const worker = env.worker();
    await new Promise((r) => setTimeout(r, 500));
    expect(await rowsOf(id)).toBe(0);
    const token = env.userToken('crash-user');
    const mine = await call(api.app, 'GET', `/v1/campaigns/${id}/claims/me`, { token });
    expect(mine.body.claims).toHaveLength(1);
    expect(mine.body.claims[0]).toMatchObject({ status: 'pending', userId: 'crash-user' });
    expect((await admin(api.app, 'GET', `/campaigns/${id}/stats`)).body).toMatchObject({
      claimed: 1,
      persisted: 0,
      pending: 1,
    });
    // The user cannot claim again: the acknowledged claim counts.
    expect((await claim(api.app, id, token)).status).toBe(409);
    await worker.close();
  });
});
