import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJwt } from '../auth/jwt.ts';
import { campaignKeys } from '../redis/keys.ts';
import { ADMIN_TOKEN, createTestEnv, type Instance, JWT_SECRET, type TestEnv } from '../testing/harness.ts';
import { call, createCampaign } from '../testing/http.ts';

/**
 * Generated hostile input across every route: every request is invalid in at least one way (its
 * credentials, its path, its body, a header or a query), and each must get a 4xx with a JSON error code,
 * never a 5xx, and change nothing in Postgres or Redis.
 */
let env: TestEnv;
let app: Instance['app'];
let campaignId: string;

beforeAll(async () => {
  env = await createTestEnv('hostile', { RATE_LIMIT_PER_SECOND: '100000' });
  app = env.instance().app;
  campaignId = (await createCampaign(app, { totalStock: 5, perUserLimit: 2 })).id;
});
afterAll(() => env.cleanup());

interface Attack {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  rawBody?: string;
}

const b64 = (s: string) => Buffer.from(s).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** Tokens that must never authenticate anyone. */
function badTokens(): Record<string, string> {
  const good = signJwt({ sub: 'someone', exp: now() + 3600 }, JWT_SECRET);
  const [h, p, s] = good.split('.') as [string, string, string];
  return {
    none: '',
    garbage: 'not-a-token',
    twoParts: `${h}.${p}`,
    forged: signJwt({ sub: 'mallory', exp: now() + 3600 }, 'guessed-secret'),
    expired: signJwt({ sub: 'late', exp: now() - 3600 }, JWT_SECRET),
    notYet: signJwt({ sub: 'early', nbf: now() + 3600 }, JWT_SECRET),
    algNone: `${b64('{"alg":"none","typ":"JWT"}')}.${p}.`,
    padded: `${good}=`,
    bangs: `${good}!!`,
    nulSub: signJwt({ sub: 'nul\u0000sub', exp: now() + 3600 }, JWT_SECRET),
    loneSurrogate: signJwt({ sub: 'lone\ud800', exp: now() + 3600 }, JWT_SECRET),
    controlSub: signJwt({ sub: 'bell\u0007', exp: now() + 3600 }, JWT_SECRET),
    emptySub: signJwt({ sub: '', exp: now() + 3600 }, JWT_SECRET),
    longSub: signJwt({ sub: 'x'.repeat(129), exp: now() + 3600 }, JWT_SECRET),
    numberSub: signJwt({ sub: 42 as unknown as string, exp: now() + 3600 }, JWT_SECRET),
    tamperedPayload: `${h}.${b64('{"sub":"admin"}')}.${s}`,
    adminTokenAsUser: ADMIN_TOKEN,
  };
}

const BAD_IDS = [
  'UPPER',
  `${'a'.repeat(65)}`,
  '-lead',
  'a_b',
  '%00',
  'a%00b',
  '..%2F..%2Fetc',
  '%F0%9F%98%80',
  '%ED%A0%80',
  '%FF',
  'a%20b',
  '%22%3E%3Cscript%3E',
];

const BAD_NAMES = [
  '',
  '   ',
  'nul\u0000',
  'lone\ud800',
  'bell\u0007',
  'x'.repeat(201),
  42,
  null,
  ['n'],
  { n: 1 },
];
const BAD_INSTANTS = [
  '0000-01-01T00:00:00Z',
  '1969-12-31T23:59:59Z',
  '+275760-09-13T00:00:00Z',
  '2030-02-30T00:00:00Z',
  '2030-01-01',
  'yesterday',
  '',
  1_900_000_000_000,
  null,
];
const BAD_NUMBERS = [-1, 1.5, '5', 1e300, -0.5, 100_000_001, null, true, [], {}];

function bodies(): Record<string, string> {
  const ok = { name: 'n', totalStock: 3, startsAt: '2030-01-01T00:00:00Z', endsAt: '2030-01-02T00:00:00Z' };
  const out: Record<string, string> = {
    malformed: '{"name": ',
    notObject: '[1,2,3]',
    string: '"just a string"',
    nullBody: 'null',
    deep: `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
    proto: '{"__proto__":{"polluted":true},"name":"n"}',
    infinity: '{"totalStock": 1e999}',
    huge: JSON.stringify({ ...ok, name: 'x'.repeat(20_000) }),
    unknownField: JSON.stringify({ ...ok, owner: 'x' }),
    reversed: JSON.stringify({ ...ok, endsAt: '2029-01-01T00:00:00Z' }),
  };
  BAD_NAMES.forEach((name, i) => {
    out[`name${i}`] = JSON.stringify({ ...ok, name });
  });
  BAD_INSTANTS.forEach((at, i) => {
    out[`startsAt${i}`] = JSON.stringify({ ...ok, startsAt: at });
    out[`endsAt${i}`] = JSON.stringify({ ...ok, endsAt: at });
  });
  BAD_NUMBERS.forEach((n, i) => {
    out[`stock${i}`] = JSON.stringify({ ...ok, totalStock: n });
    out[`limit${i}`] = JSON.stringify({ ...ok, perUserLimit: n });
  });
  return out;
}

function attacks(): Attack[] {
  const list: Attack[] = [];
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const user = { authorization: `Bearer ${env.userToken('hostile-user')}` };
  const json = { 'content-type': 'application/json' };
  const c = campaignId;
  const userRoutes: [string, string][] = [
    ['POST', `/v1/campaigns/${c}/claims`],
    ['GET', `/v1/campaigns/${c}/claims/me`],
  ];
  const adminRoutes: [string, string][] = [
    ['POST', '/v1/admin/campaigns'],
    ['GET', '/v1/admin/campaigns'],
    ['GET', `/v1/admin/campaigns/${c}`],
    ['PATCH', `/v1/admin/campaigns/${c}`],
    ['POST', `/v1/admin/campaigns/${c}/pause`],
    ['POST', `/v1/admin/campaigns/${c}/resume`],
    ['POST', `/v1/admin/campaigns/${c}/stock`],
    ['GET', `/v1/admin/campaigns/${c}/changes`],
    ['GET', `/v1/admin/campaigns/${c}/stats`],
    ['POST', '/v1/admin/reconcile'],
    ['GET', '/v1/admin/reconciliations'],
  ];
  // 1. Credentials: every protected route with every bad token (and with none).
  for (const [tokenName, token] of Object.entries(badTokens())) {
    // The admin token is a credential on admin routes (only user routes must refuse it).
    const routes = tokenName === 'adminTokenAsUser' ? userRoutes : [...userRoutes, ...adminRoutes];
    for (const [method, path] of routes) {
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      list.push({ name: `auth:${tokenName}`, method, path, headers });
    }
    for (const id of BAD_IDS) {
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      list.push({
        name: `auth+id:${tokenName}`,
        method: 'POST',
        path: `/v1/campaigns/${id}/claims`,
        headers,
      });
      list.push({
        name: `auth+id:${tokenName}`,
        method: 'GET',
        path: `/v1/admin/campaigns/${id}/stats`,
        headers,
      });
      list.push({
        name: `auth+id:${tokenName}`,
        method: 'GET',
        path: `/v1/campaigns/${id}/claims/me`,
        headers,
      });
    }
    list.push({
      name: `auth-basic:${tokenName}`,
      method: 'GET',
      path: '/v1/admin/campaigns',
      headers: { authorization: `Basic ${token}` },
    });
  }
  // 2. Paths: every route that takes an id, with ids no campaign can have.
  for (const id of BAD_IDS) {
    for (const [method, suffix, headers] of [
      ['GET', '', {}],
      ['POST', '/claims', user],
      ['GET', '/claims/me', user],
    ] as const)
      list.push({ name: `id:${id}`, method, path: `/v1/campaigns/${id}${suffix}`, headers });
    for (const suffix of ['', '/pause', '/resume', '/stock', '/changes', '/stats']) {
      const method = suffix === '' || suffix === '/changes' || suffix === '/stats' ? 'GET' : 'POST';
      list.push({
        name: `admin-id:${id}`,
        method,
        path: `/v1/admin/campaigns/${id}${suffix}`,
        headers: admin,
      });
    }
    list.push({
      name: `patch-id:${id}`,
      method: 'PATCH',
      path: `/v1/admin/campaigns/${id}`,
      headers: { ...admin, ...json, 'if-match': '"1"' },
      rawBody: '{"name":"x"}',
    });
  }
  // 3. Bodies: creation and edits with every bad body; claims and stock with their own bad bodies.
  for (const [bodyName, rawBody] of Object.entries(bodies())) {
    list.push({
      name: `create:${bodyName}`,
      method: 'POST',
      path: '/v1/admin/campaigns',
      headers: { ...admin, ...json },
      rawBody,
    });
    list.push({
      name: `patch:${bodyName}`,
      method: 'PATCH',
      path: `/v1/admin/campaigns/${c}`,
      headers: { ...admin, ...json, 'if-match': '"1"' },
      rawBody,
    });
  }
  // The same bodies where they are just as wrong: claims, stock changes and reconciliation take other shapes.
  for (const [bodyName, rawBody] of Object.entries(bodies())) {
    list.push({
      name: `claim:${bodyName}`,
      method: 'POST',
      path: `/v1/campaigns/${c}/claims`,
      headers: { ...user, ...json },
      rawBody,
    });
    list.push({
      name: `stock-body:${bodyName}`,
      method: 'POST',
      path: `/v1/admin/campaigns/${c}/stock`,
      headers: { ...admin, ...json },
      rawBody,
    });
    list.push({
      name: `reconcile-body:${bodyName}`,
      method: 'POST',
      path: '/v1/admin/reconcile',
      headers: { ...admin, ...json },
      rawBody,
    });
  }
  // Authorization headers that are not a bearer token at all.
  for (const value of [
    'Bearer',
    'Bearer ',
    'bearer lowercase',
    `Bearer ${'x'.repeat(8_000)}`,
    'Token abc',
    'Bearer a b c',
  ]) {
    for (const [method, path] of [...userRoutes, ...adminRoutes]) {
      list.push({
        name: `auth-header:${value.slice(0, 12)}`,
        method,
        path,
        headers: { authorization: value },
      });
    }
  }
  for (const rawBody of ['{oops', '{"qty":5}', '"x"', '[]', '{"__proto__":{}}', 'null', '1']) {
    list.push({
      name: `claim-body:${rawBody}`,
      method: 'POST',
      path: `/v1/campaigns/${c}/claims`,
      headers: { ...user, ...json },
      rawBody,
    });
  }
  for (const delta of [0, 1.5, 'ten', null, 1e12, -1e12, [], {}, '1', true]) {
    list.push({
      name: `stock:${String(delta)}`,
      method: 'POST',
      path: `/v1/admin/campaigns/${c}/stock`,
      headers: { ...admin, ...json },
      rawBody: JSON.stringify({ delta }),
    });
  }
  list.push({
    name: 'stock:extra',
    method: 'POST',
    path: `/v1/admin/campaigns/${c}/stock`,
    headers: { ...admin, ...json },
    rawBody: '{"delta":1,"x":2}',
  });
  list.push({
    name: 'stock:remove-too-much',
    method: 'POST',
    path: `/v1/admin/campaigns/${c}/stock`,
    headers: { ...admin, ...json },
    rawBody: '{"delta":-6}',
  });
  for (const rawBody of [
    '{"campaignId":"BAD"}',
    '{"campaignId":"missing-one"}',
    '{"x":1}',
    '[',
    '{"campaignId":null}',
  ]) {
    list.push({
      name: `reconcile:${rawBody}`,
      method: 'POST',
      path: '/v1/admin/reconcile',
      headers: { ...admin, ...json },
      rawBody,
    });
  }
  // 4. Headers.
  for (const ifMatch of [
    '1',
    '1"',
    '"1',
    'W/"1"',
    '"01"',
    '"0"',
    '"2"',
    'W/1',
    '',
    ' ',
    '"1",',
    '\u0007',
    '"1" junk',
  ]) {
    list.push({
      name: `if-match:${ifMatch}`,
      method: 'PATCH',
      path: `/v1/admin/campaigns/${c}`,
      headers: { ...admin, ...json, 'if-match': ifMatch },
      rawBody: '{"name":"hijacked"}',
    });
  }
  list.push({
    name: 'if-match:missing',
    method: 'PATCH',
    path: `/v1/admin/campaigns/${c}`,
    headers: { ...admin, ...json },
    rawBody: '{"name":"hijacked"}',
  });
  for (const key of ['x'.repeat(129), 'with space', 'tab\tkey', 'ünïcode', '']) {
    list.push({
      name: `idem:${key.slice(0, 10)}`,
      method: 'POST',
      path: `/v1/campaigns/${c}/claims`,
      headers: { ...user, 'idempotency-key': key, ...json },
      rawBody: '{"qty":1}',
    });
    list.push({
      name: `stock-idem:${key.slice(0, 10)}`,
      method: 'POST',
      path: `/v1/admin/campaigns/${c}/stock`,
      headers: { ...admin, ...json, 'idempotency-key': key },
      rawBody: '{"delta":0}',
    });
  }
  for (const actor of ['bell\u0007', 'ünïcode', 'x'.repeat(101)]) {
    list.push({
      name: `actor:${actor.slice(0, 10)}`,
      method: 'POST',
      path: `/v1/admin/campaigns/${c}/pause`,
      headers: { ...admin, 'x-actor': actor },
    });
  }
  for (const type of [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/jsonx',
  ]) {
    list.push({
      name: `type:${type}`,
      method: 'POST',
      path: '/v1/admin/campaigns',
      headers: { ...admin, 'content-type': type },
      rawBody:
        '{"name":"n","totalStock":1,"startsAt":"2030-01-01T00:00:00Z","endsAt":"2030-01-02T00:00:00Z"}',
    });
  }
  // 5. Queries.
  for (const limit of ['-1', '0', '1000', 'abc', '1e2', '%00', '1.5', ' 1']) {
    list.push({
      name: `limit:${limit}`,
      method: 'GET',
      path: `/v1/admin/reconciliations?limit=${limit}`,
      headers: admin,
    });
  }
  // 6. Unknown routes and methods.
  for (const [method, path] of [
    ['GET', '/v1/nothing'],
    ['DELETE', `/v1/admin/campaigns/${c}`],
    ['PUT', `/v1/admin/campaigns/${c}`],
    ['GET', '/v1/admin'],
    ['OPTIONS', '/v1/ping'],
    ['GET', '/%ED%A0%80'],
  ] as const) {
    list.push({ name: `route:${method} ${path}`, method, path, headers: admin });
  }
  return list;
}

/** Everything a hostile request could have changed. */
async function state() {
  const sql = env.sql();
  const tables = await sql`
    select (select count(*)::int from campaigns) as campaigns, (select count(*)::int from claims) as claims,
      (select count(*)::int from campaign_changes) as changes, (select count(*)::int from stock_adjustments) as stock,
      (select count(*)::int from reconciliation_runs) as runs,
      (select json_agg(c order by c.id) from (select id, name, total_stock, per_user_limit, starts_at, ends_at, paused, version from campaigns) c) as rows`;
  const redis = env.redis();
  const keys = campaignKeys(env.config.REDIS_PREFIX, campaignId);
  const [meta, users, claims, pending, journal] = await Promise.all([
    redis.hgetall(keys.meta),
    redis.hlen(keys.users),
    redis.hlen(keys.claims),
    redis.zcard(keys.pending),
    redis.hlen(keys.journal),
  ]);
  return { tables, meta, users, claims, pending, journal };
}

describe('hostile input across every route', () => {
  it('1,000+ generated hostile requests: every one a 4xx with a JSON code, none a 5xx, nothing changed', async () => {
    const list = attacks();
    expect(list.length).toBeGreaterThanOrEqual(1_000);
    const before = await state();
    const failures: string[] = [];
    const byStatus = new Map<number, number>();
    for (const a of list) {
      const res = await app.request(a.path, { method: a.method, headers: a.headers, body: a.rawBody });
      const text = await res.text();
      byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
      let code: unknown;
      try {
        code = JSON.parse(text).error?.code;
      } catch {
        code = undefined;
      }
      if (res.status < 400 || res.status >= 500 || typeof code !== 'string') {
        failures.push(`${a.name} ${a.method} ${a.path} -> ${res.status} ${text.slice(0, 120)}`);
      }
    }
    expect(failures, JSON.stringify([...byStatus])).toEqual([]);
    expect(await state()).toEqual(before);
    // The campaign still works for a real user afterwards.
    const ok = await call(app, 'POST', `/v1/campaigns/${campaignId}/claims`, {
      token: env.userToken('after-the-storm'),
    });
    expect(ok.status).toBe(201);
  });
});
