import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv, TOPOLOGIES } from '../testing/harness.ts';
import { runIdOf, scriptClaim, seedCampaign } from '../testing/lua.ts';
import { campaignKeys } from './keys.ts';
import { scriptDefs, scriptSource, scripts } from './scripts/index.ts';

let env: TestEnv;
let prefix: string;

beforeAll(async () => {
  env = await createTestEnv('scripts');
  prefix = env.config.REDIS_PREFIX;
});
afterAll(() => env.cleanup());

describe('lua scripts', () => {
  it('compile in Redis, hash as ioredis expects, and declare the KEYS count their caller passes', async () => {
    const redis = env.redis();
    expect(scriptDefs.length).toBeGreaterThan(0);
    for (const def of scriptDefs) {
      const lua = scriptSource(def.file);
      expect(lua, `${def.name}: every include expanded`).not.toMatch(/@include/);
      const sha = (await redis.script('LOAD', lua)) as string;
      expect(sha, def.name).toBe(createHash('sha1').update(lua).digest('hex'));
      const header = lua.slice(0, lua.indexOf(']]'));
      // A script over a variable key list (its caller passes the count) describes the repeated part.
      if (def.keys < 0) {
        expect(header, `${def.name}: its repeated KEYS described in its header`).toMatch(/KEYS\[\d+\+\d+i/);
        continue;
      }
      const declared = new Set(header.match(/KEYS\[\d+\]/g));
      expect(declared.size, `${def.name}: KEYS listed in its header`).toBe(def.keys);
    }
  });

  it('survives SCRIPT FLUSH (ioredis falls back to EVAL)', async () => {
    const redis = env.redis();
    await seedCampaign(redis, prefix, 'flush', { stock: 2 });
    await redis.script('FLUSH');
    expect((await scriptClaim(redis, prefix, 'flush', 'u1')).kind).toBe('claimed');
  });
});

describe.each(TOPOLOGIES)('claim.lua under real concurrency (%s)', (topology) => {
  let onTopology: TestEnv;
  beforeAll(async () => {
    onTopology = await createTestEnv(`scripts-race-${topology}`, {}, { topology });
  });
  afterAll(() => onTopology.cleanup());

  it('2,000 distinct users on stock 500 over 8 connections: exactly 500 win, none twice', async () => {
    const conns = Array.from({ length: 8 }, () => onTopology.redis());
    await seedCampaign(conns[0]!, onTopology.config.REDIS_PREFIX, 'race', { stock: 500 });
    const replies = await Promise.all(
      Array.from({ length: 2_000 }, (_, i) =>
        scriptClaim(conns[i % conns.length]!, onTopology.config.REDIS_PREFIX, 'race', `user-${i}`),
      ),
    );
    const winners = replies.flatMap((r, i) => (r.kind === 'claimed' ? [`user-${i}`] : []));
    expect(winners).toHaveLength(500);
    expect(
      new Set(await conns[0]!.hkeys(campaignKeys(onTopology.config.REDIS_PREFIX, 'race').users)),
    ).toEqual(new Set(winners));
    expect(replies.filter((r) => r.kind === 'sold_out')).toHaveLength(1_500);
    const keys = campaignKeys(onTopology.config.REDIS_PREFIX, 'race');
    const redis = conns[0]!;
    expect(await redis.hmget(keys.meta, 'remaining', 'claimed', 'totalStock')).toEqual(['0', '500', '500']);
    expect(await redis.hlen(keys.users)).toBe(500);
    expect(await redis.hlen(keys.claims)).toBe(500);
    expect(await redis.zcard(keys.pending)).toBe(500);
  });

  it('the seed experiment: 10 concurrent workers x 10 claims on stock 110 leave exactly 10', async () => {
    const conns = Array.from({ length: 10 }, () => onTopology.redis());
    await seedCampaign(conns[0]!, onTopology.config.REDIS_PREFIX, 'seed', { stock: 110 });
    await Promise.all(
      conns.map(async (conn, w) => {
        for (let i = 0; i < 10; i++) {
          expect((await scriptClaim(conn, onTopology.config.REDIS_PREFIX, 'seed', `w${w}-u${i}`)).kind).toBe(
            'claimed',
          );
        }
      }),
    );
    expect(await conns[0]!.hget(campaignKeys(onTopology.config.REDIS_PREFIX, 'seed').meta, 'remaining')).toBe(
      '10',
    );
  });

  it('one user racing on many connections with limit 3 gets exactly 3', async () => {
    const conns = Array.from({ length: 6 }, () => onTopology.redis());
    await seedCampaign(conns[0]!, onTopology.config.REDIS_PREFIX, 'limit3', { stock: 100, perUserLimit: 3 });
    const replies = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        scriptClaim(conns[i % 6]!, onTopology.config.REDIS_PREFIX, 'limit3', 'greedy'),
      ),
    );
    const won = replies.flatMap((r) => (r.kind === 'claimed' ? [r.ordinal] : []));
    expect(won.sort()).toEqual([1, 2, 3]);
    const refused = replies.flatMap((r) => (r.kind === 'limit_reached' ? [r.claimIds.join(',')] : []));
    expect(refused).toHaveLength(57);
    const held = await conns[0]!.hget(campaignKeys(onTopology.config.REDIS_PREFIX, 'limit3').users, 'greedy');
    expect(refused.every((ids) => ids === held)).toBe(true);
    expect(held!.split(',')).toHaveLength(3);
  });
});

describe('claim.lua decisions', () => {
  it('checks window, pause, limit, stock in that order, and changes nothing when it refuses', async () => {
    const redis = env.redis();
    const now = Date.now();
    await seedCampaign(redis, prefix, 'early', { stock: 1, startsAt: now + 60_000 });
    await seedCampaign(redis, prefix, 'late', { stock: 1, startsAt: now - 120_000, endsAt: now - 60_000 });
    await seedCampaign(redis, prefix, 'paused', { stock: 1, paused: true });
    await seedCampaign(redis, prefix, 'one', { stock: 1 });
    expect(await scriptClaim(redis, prefix, 'nope', 'u')).toEqual({ kind: 'not_found' });
    expect(await scriptClaim(redis, prefix, 'early', 'u')).toEqual({
      kind: 'not_active',
      reason: 'not_started',
    });
    expect(await scriptClaim(redis, prefix, 'late', 'u')).toEqual({ kind: 'not_active', reason: 'ended' });
    expect(await scriptClaim(redis, prefix, 'paused', 'u')).toEqual({ kind: 'not_active', reason: 'paused' });
    expect((await scriptClaim(redis, prefix, 'one', 'u')).kind).toBe('claimed');
    // Already holding one beats sold out: the user learns they have it.
    expect((await scriptClaim(redis, prefix, 'one', 'u')).kind).toBe('limit_reached');
    expect(await scriptClaim(redis, prefix, 'one', 'v')).toEqual({ kind: 'sold_out' });
    for (const id of ['early', 'late', 'paused']) {
      const keys = campaignKeys(prefix, id);
      expect(await redis.hmget(keys.meta, 'remaining', 'claimed')).toEqual(['1', '0']);
      expect(await redis.exists(keys.users, keys.claims, keys.pending)).toBe(0);
    }
    expect(
      await redis.exists(...Object.values(campaignKeys(prefix, 'nope')).filter((k) => typeof k === 'string')),
    ).toBe(0);
  });

  it('replays an Idempotency-Key with the original record, even after the campaign sold out or paused', async () => {
    const redis = env.redis();
    await seedCampaign(redis, prefix, 'idem', { stock: 1 });
    const first = await scriptClaim(redis, prefix, 'idem', 'u', 'key-1');
    expect(first.kind).toBe('claimed');
    await redis.hset(campaignKeys(prefix, 'idem').meta, 'paused', '1');
    const again = await scriptClaim(redis, prefix, 'idem', 'u', 'key-1');
    const claimId = await redis.hget(campaignKeys(prefix, 'idem').users, 'u');
    expect(again.kind).toBe('replayed');
    expect(again.kind === 'replayed' && again.claim).toMatchObject({
      id: claimId,
      userId: 'u',
      ordinal: 1,
      idempotencyKey: 'key-1',
    });
    // The same key of another user is another key.
    expect(await scriptClaim(redis, prefix, 'idem', 'v', 'key-1')).toEqual({
      kind: 'not_active',
      reason: 'paused',
    });
  });

  it('holds claims off while a campaign is being rebuilt', async () => {
    const redis = env.redis();
    await seedCampaign(redis, prefix, 'rebuild', { stock: 5 });
    await redis.hset(campaignKeys(prefix, 'rebuild').meta, 'status', 'rebuilding');
    expect(await scriptClaim(redis, prefix, 'rebuild', 'u')).toEqual({ kind: 'rebuilding' });
  });
});

describe('claim.lua idempotency by claim id', () => {
  it('running the very same command twice claims once', async () => {
    const redis = env.redis();
    await seedCampaign(redis, prefix, 'resend', { stock: 5, perUserLimit: 5 });
    const keys = campaignKeys(prefix, 'resend');
    const args = {
      campaignId: 'resend',
      userId: 'u',
      claimId: '01890a5d-ac96-774b-bcce-b302099a8057',
      couponCode: 'AAAA-BBBB-CCCC-DDDD',
      idempotencyTtlSeconds: 60,
      runId: await runIdOf(redis, keys.meta),
    };
    const first = await scripts.claim(redis, keys, args);
    const second = await scripts.claim(redis, keys, args);
    expect(first).toMatchObject({ kind: 'claimed', ordinal: 1, seq: 1 });
    expect(second.kind).toBe('replayed');
    expect(second.kind === 'replayed' && second.claim).toMatchObject({
      id: '01890a5d-ac96-774b-bcce-b302099a8057',
      ordinal: 1,
    });
    expect(await redis.hmget(keys.meta, 'remaining', 'claimed')).toEqual(['4', '1']);
    expect(await redis.hget(keys.users, 'u')).toBe('01890a5d-ac96-774b-bcce-b302099a8057');
  });
});
