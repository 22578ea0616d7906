import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJwt } from '../auth/jwt.ts';
import { campaignKeys } from '../redis/keys.ts';
import { createTestEnv, type Instance, redisOf, type TestEnv } from '../testing/harness.ts';
import { admin, call, claim, createCampaign, eventually } from '../testing/http.ts';

let env: TestEnv;
let a: Instance;
let b: Instance;

beforeAll(async () => {
  env = await createTestEnv('api');
  a = env.instance();
  b = env.instance();
  env.worker();
});
afterAll(() => env.cleanup());

describe('claims', () => {
  it('gives a user up to perUserLimit coupons, then 409 listing their claim ids', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 10, perUserLimit: 3 });
    const token = env.userToken('limit-user');
    const won = [];
    for (let i = 0; i < 3; i++) {
      const res = await claim(a.app, id, token);
      expect(res.status).toBe(201);
      expect(res.body.claim).toMatchObject({ campaignId: id, userId: 'limit-user', status: 'pending' });
      won.push(res.body.claim);
    }
    expect(new Set(won.map((c) => c.couponCode)).size).toBe(3);
    const fourth = await claim(b.app, id, token);
    expect(fourth.status).toBe(409);
    expect(fourth.body.error.code).toBe('already_claimed');
    expect(fourth.body.error.claimIds.sort()).toEqual(won.map((c) => c.id).sort());
  });

  it('refuses outside the window and while paused with 403 and the reason', async () => {
    const now = Date.now();
    const early = await createCampaign(a.app, { totalStock: 5, startsAt: new Date(now + 60_000) });
    const late = await createCampaign(a.app, {
      totalStock: 5,
      startsAt: new Date(now - 120_000),
      endsAt: new Date(now - 60_000),
    });
    const paused = await createCampaign(a.app, { totalStock: 5 });
    await redisOf(a).hset(campaignKeys(env.config.REDIS_PREFIX, paused.id).meta, 'paused', '1');
    const token = env.userToken('window-user');
    for (const [c, reason, state] of [
      [early, 'not_started', 'scheduled'],
      [late, 'ended', 'ended'],
      [paused, 'paused', 'paused'],
    ] as const) {
      const res = await claim(a.app, c.id, token);
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'campaign_not_active', reason });
      expect((await call(a.app, 'GET', `/v1/campaigns/${c.id}`)).body).toMatchObject({ state, remaining: 5 });
    }
  });

  it('answers 404 for an unknown campaign and 410 once sold out', async () => {
    const unknown = await claim(a.app, 'no-such-campaign', env.userToken('u'));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('campaign_not_found');
    expect((await call(a.app, 'GET', '/v1/campaigns/no-such-campaign')).status).toBe(404);

    const { id } = await createCampaign(a.app, { totalStock: 1 });
    expect((await claim(a.app, id, env.userToken('first'))).status).toBe(201);
    const late = await claim(b.app, id, env.userToken('second'));
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('sold_out');
    expect((await call(b.app, 'GET', `/v1/campaigns/${id}`)).body).toMatchObject({
      id,
      state: 'sold_out',
      totalStock: 1,
      remaining: 0,
      perUserLimit: 1,
    });
  });

  it('the same Idempotency-Key sent to two instances at once makes one claim and identical answers', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 5, perUserLimit: 5 });
    const token = env.userToken('idem-user');
    const [r1, r2] = await Promise.all([
      claim(a.app, id, token, 'same-key'),
      claim(b.app, id, token, 'same-key'),
    ]);
    expect([r1.status, r2.status].sort()).toEqual([200, 201]);
    expect(r1.body).toEqual(r2.body);
    const later = await claim(a.app, id, token, 'same-key');
    expect(later.status).toBe(200);
    expect(later.body).toEqual(r1.body);
    const stats = await admin(a.app, 'GET', `/campaigns/${id}/stats`);
    expect(stats.body).toMatchObject({ claimed: 1, remaining: 4 });
    // A new key is a new attempt.
    expect((await claim(b.app, id, token, 'other-key')).status).toBe(201);
  });

  it('lists the user own claims, pending until the worker stores them, then persisted', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 5, perUserLimit: 2 });
    const token = env.userToken('me-user');
    const made = (await claim(a.app, id, token)).body.claim;
    await claim(b.app, id, env.userToken('someone-else'));
    await eventually(async () => {
      const res = await call(b.app, 'GET', `/v1/campaigns/${id}/claims/me`, { token });
      return res.body.claims.length === 1 && res.body.claims[0].status === 'persisted';
    });
    const res = await call(b.app, 'GET', `/v1/campaigns/${id}/claims/me`, { token });
    expect(res.body.claims).toEqual([{ ...made, status: 'persisted' }]);
    const none = await call(a.app, 'GET', `/v1/campaigns/${id}/claims/me`, {
      token: env.userToken('nobody'),
    });
    expect(none.body).toEqual({ claims: [] });
  });

  it('admin stats count claimed, persisted, pending and the queue', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 20 });
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => claim(i % 2 ? a.app : b.app, id, env.userToken(`s${i}`))),
    );
    // The rows commit a moment before BullMQ marks their job completed.
    await eventually(async () => {
      const { body } = await admin(a.app, 'GET', `/campaigns/${id}/stats`);
      return body.persisted === 12 && body.queue.active === 0;
    });
    const { body } = await admin(a.app, 'GET', `/campaigns/${id}/stats`);
    expect(body).toMatchObject({ totalStock: 20, remaining: 8, claimed: 12, persisted: 12, pending: 0 });
    expect(body.queue).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  });
});

describe('authentication', () => {
  it('401s a missing, malformed, forged or expired user token', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 5 });
    const past = Math.floor(Date.now() / 1000) - 3600;
    const cases: Record<string, Record<string, string>> = {
      missing: {},
      'not bearer': { authorization: 'Basic dXNlcjpwdw==' },
      malformed: { authorization: 'Bearer not-a-jwt' },
      forged: { authorization: `Bearer ${signJwt({ sub: 'u' }, 'not-the-secret')}` },
      expired: { authorization: `Bearer ${env.userToken('u', { exp: past })}` },
      'admin token as user': { authorization: `Bearer ${env.config.ADMIN_TOKEN}` },
    };
    for (const [name, headers] of Object.entries(cases)) {
      const res = await call(a.app, 'POST', `/v1/campaigns/${id}/claims`, { headers });
      expect(res.status, name).toBe(401);
      expect(res.body.error.code, name).toBe('unauthorized');
      expect(res.headers.get('www-authenticate'), name).toMatch(/^Bearer/);
    }
    expect((await call(a.app, 'GET', `/v1/campaigns/${id}/claims/me`)).status).toBe(401);
    expect((await admin(a.app, 'GET', `/campaigns/${id}/stats`)).body.claimed).toBe(0);
  });

  it('401s admin routes without the admin token, including with a valid user token', async () => {
    const variants: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${env.userToken('u')}` },
      { authorization: 'Bearer wrong' },
    ];
    for (const headers of variants) {
      const res = await call(a.app, 'POST', '/v1/admin/campaigns', {
        headers,
        body: { name: 'x', totalStock: 1, startsAt: '2030-01-01T00:00:00Z', endsAt: '2030-01-02T00:00:00Z' },
      });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
      expect((await call(a.app, 'GET', '/v1/admin/campaigns', { headers })).status).toBe(401);
    }
  });
});

describe('bad input gets a 4xx with a JSON code and changes nothing', () => {
  it('on campaign creation', async () => {
    const before = (await admin(a.app, 'GET', '/campaigns')).body.campaigns.length;
    const valid = {
      name: 'n',
      totalStock: 3,
      startsAt: '2030-01-01T00:00:00Z',
      endsAt: '2030-01-02T00:00:00Z',
    };
    const send = (rawBody: string, type = 'application/json') =>
      call(a.app, 'POST', '/v1/admin/campaigns', {
        token: env.config.ADMIN_TOKEN,
        rawBody,
        headers: { 'content-type': type },
      });
    const cases: [string, string, number, string][] = [
      ['malformed JSON', '{"name": ', 400, 'invalid_request'],
      ['not an object', '[1,2]', 400, 'invalid_request'],
      ['empty body', '', 400, 'invalid_request'],
      ['wrong type', JSON.stringify({ ...valid, totalStock: 'ten' }), 400, 'invalid_request'],
      ['unknown field', JSON.stringify({ ...valid, owner: 'x' }), 400, 'invalid_request'],
      ['bad id', JSON.stringify({ ...valid, id: 'Bad Id!' }), 400, 'invalid_request'],
      [
        'reversed window',
        JSON.stringify({ ...valid, endsAt: '2029-01-01T00:00:00Z' }),
        400,
        'invalid_request',
      ],
      ['oversized', JSON.stringify({ ...valid, name: 'x'.repeat(20_000) }), 413, 'payload_too_large'],
    ];
    for (const [name, body, status, code] of cases) {
      const res = await send(body);
      expect(res.status, name).toBe(status);
      expect(res.body.error.code, name).toBe(code);
    }
    const wrongType = await send(JSON.stringify(valid), 'text/plain');
    expect(wrongType.status).toBe(415);
    expect((await admin(a.app, 'GET', '/campaigns')).body.campaigns.length).toBe(before);
  });

  it('on claims: bad ids, bodies, and Idempotency-Keys', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 5 });
    const token = env.userToken('bad-input-user');
    const post = (path: string, init: { rawBody?: string; headers?: Record<string, string> }) =>
      call(a.app, 'POST', path, { token, ...init });
    const json = { 'content-type': 'application/json' };
    const cases: [string, Promise<{ status: number; body: any }>, number][] = [
      ['bad campaign id', post('/v1/campaigns/BAD_ID/claims', {}), 400],
      ['too long id', post(`/v1/campaigns/${'a'.repeat(65)}/claims`, {}), 400],
      ['malformed body', post(`/v1/campaigns/${id}/claims`, { rawBody: '{oops', headers: json }), 400],
      ['unknown field', post(`/v1/campaigns/${id}/claims`, { rawBody: '{"qty":5}', headers: json }), 400],
      ['wrong shape', post(`/v1/campaigns/${id}/claims`, { rawBody: '"x"', headers: json }), 400],
      [
        'oversized',
        post(`/v1/campaigns/${id}/claims`, { rawBody: `"${'x'.repeat(20_000)}"`, headers: json }),
        413,
      ],
      [
        'bad idempotency key',
        post(`/v1/campaigns/${id}/claims`, { headers: { 'idempotency-key': 'x'.repeat(200) } }),
        400,
      ],
      ['bad id on GET', call(a.app, 'GET', '/v1/campaigns/%00/claims/me', { token }), 400],
    ];
    for (const [name, pending, status] of cases) {
      const res = await pending;
      expect(res.status, name).toBe(status);
      expect(typeof res.body.error.code, name).toBe('string');
    }
    expect((await call(a.app, 'GET', `/v1/campaigns/${id}`)).body.remaining).toBe(5);
    // An empty JSON object is a fine claim body.
    expect((await post(`/v1/campaigns/${id}/claims`, { rawBody: '{}', headers: json })).status).toBe(201);
  });

  it('unknown routes are a JSON 404, duplicate campaign ids a 409', async () => {
    const res = await call(a.app, 'GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    const { id } = await createCampaign(a.app, { totalStock: 1 });
    const dup = await admin(a.app, 'POST', '/campaigns', {
      id,
      name: 'again',
      totalStock: 99,
      startsAt: '2030-01-01T00:00:00Z',
      endsAt: '2030-01-02T00:00:00Z',
    });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('campaign_exists');
    expect((await admin(a.app, 'GET', `/campaigns/${id}`)).body.totalStock).toBe(1);
  });

  it('rate-limits one user hammering an instance with 429 and Retry-After', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 0 });
    const token = env.userToken('hammer');
    const replies = await Promise.all(Array.from({ length: 40 }, () => claim(a.app, id, token)));
    const limited = replies.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.headers.get('retry-after')).toBe('1');
    expect(limited[0]!.body.error.code).toBe('rate_limited');
    expect(replies.filter((r) => r.status === 410).length + limited.length).toBe(40);
  });
});

describe('health', () => {
  it('healthz is alive and readyz checks Redis and Postgres', async () => {
    expect((await call(a.app, 'GET', '/healthz')).status).toBe(200);
    const ready = await call(a.app, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ redis: true, postgres: true });
  });
});
