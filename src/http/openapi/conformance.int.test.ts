import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  createTestEnv,
  type Instance,
  SERVICE_TOKEN,
  type TestEnv,
} from '../../testing/harness.ts';
import { createCampaign } from '../../testing/http.ts';
import { type Conformance, conformanceOf, type Doc } from '../../testing/openapi.ts';

/**
 * Real answers against /openapi.json: every documented status of every route is produced by a request
 * here and its body checked against the document. The generic part (401, 429, 400, 413, 415, 503) runs
 * over every operation that documents it; the rest are the routes' own outcomes. The last test lists any
 * documented status that no request produced: a new route's statuses show up there.
 */

let env: TestEnv;
let main: Instance;
/** Tight limits: one failed authentication per minute per address, one claim per second per user. */
let limited: Instance;
let doc: Doc;
let api: Conformance;

const BLOCKED_ADDRESS = '203.0.113.9';
const user = (sub: string) => env.userToken(sub);

beforeAll(async () => {
  env = await createTestEnv('openapi');
  main = env.instance();
  limited = env.instance({
    AUTH_FAILURES_PER_MINUTE: '1',
    TRUST_PROXY_HOPS: '1',
    RATE_LIMIT_PER_SECOND: '1',
  });
  env.worker();
  doc = (await (await main.app.request('/openapi.json')).json()) as Doc;
  api = conformanceOf(doc);
});
afterAll(() => env.cleanup());

/** An instance whose Redis and Postgres are unreachable. */
const deadInstance = () =>
  env.instance({
    REDIS_URL: 'redis://127.0.0.1:1',
    DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
    REDIS_COMMAND_TIMEOUT_MS: '100',
  });

/** Fills a path template with values that pass validation. */
const fill = (template: string, values: Record<string, string> = {}) =>
  template.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? SAMPLE[name]!);
const SAMPLE: Record<string, string> = {
  id: 'no-such-campaign',
  claimId: '00000000-0000-4000-8000-000000000000',
  code: 'AAAA-BBBB-CCCC-DDDD-EEEE',
};
/** Values each path parameter refuses. */
const BAD: Record<string, string> = { id: 'Not_An_Id', claimId: 'not-a-uuid', code: 'nope' };

/** A body each operation accepts (so the generic requests fail where they mean to). */
const VALID_BODY: Record<string, unknown> = {
  'POST /v1/admin/campaigns': {
    name: 'n',
    totalStock: 1,
    startsAt: new Date().toISOString(),
    endsAt: new Date(Date.now() + 60_000).toISOString(),
  },
  'PATCH /v1/admin/campaigns/{id}': { name: 'renamed' },
  'POST /v1/admin/campaigns/{id}/stock': { delta: 1 },
  'POST /v1/coupons/{code}/redeem': { orderId: 'order-1' },
  'POST /v1/admin/bundles': { name: 'p', campaignIds: ['no-such-campaign', 'no-such-other'] },
};

type Op = ReturnType<Conformance['operations']>[number];
const documents = (op: Op, status: number) => String(status) in op.op.responses;
const credentialFor = (op: Op) => {
  const schemes = (op.op as any).security?.map((s: object) => Object.keys(s)[0]) ?? [];
  if (schemes.includes('admin')) return ADMIN_TOKEN;
  if (schemes.includes('service')) return SERVICE_TOKEN;
  return schemes.includes('user') ? user('generic-user') : undefined;
};
const hasBody = (op: Op) => (op.op as any).requestBody !== undefined;
const send = (inst: Instance, op: Op, extra: Parameters<Conformance['request']>[3] = {}, url?: string) =>
  api.request(inst.app, op.method, url ?? fill(op.template), {
    token: credentialFor(op),
    headers: { 'if-match': '"1"', ...extra.headers },
    ...(VALID_BODY[`${op.method} ${op.template}`] !== undefined && extra.raw === undefined
      ? { body: VALID_BODY[`${op.method} ${op.template}`] }
      : {}),
    ...(extra.raw !== undefined ? { raw: extra.raw } : {}),
    ...(extra.body !== undefined ? { body: extra.body } : {}),
    ...(extra.token !== undefined ? { token: extra.token } : {}),
  });

describe('what every route answers the same way', () => {
  it('401 without a credential', async () => {
    for (const op of api.operations().filter((o) => documents(o, 401))) {
      const res = await send(main, op, { token: '' });
      expect(res.status, `${op.method} ${op.template}`).toBe(401);
    }
  });

  it('429 from an address that failed to authenticate too often', async () => {
    const probe = api.operations().find((o) => o.template === '/v1/admin/campaigns' && o.method === 'GET')!;
    const from = { 'x-forwarded-for': BLOCKED_ADDRESS };
    await send(limited, probe, { token: 'wrong', headers: from });
    await send(limited, probe, { token: 'wrong', headers: from });
    for (const op of api.operations().filter((o) => documents(o, 429))) {
      const res = await send(limited, op, { headers: from });
      expect(res.status, `${op.method} ${op.template}`).toBe(429);
    }
  });

  it('400 for a malformed path parameter, query or body', async () => {
    for (const op of api.operations().filter((o) => documents(o, 400))) {
      const names = [...op.template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      let res: Awaited<ReturnType<typeof send>>;
      if (names.length > 0)
        res = await send(main, op, {}, fill(op.template, { [names[0]!]: BAD[names[0]!]! }));
      else if (hasBody(op)) res = await send(main, op, { body: { unknownField: 1 } });
      else res = await send(main, op, {}, `${op.template}?limit=0`);
      expect(res.status, `${op.method} ${op.template}`).toBe(400);
    }
  });

  it('413 for a body over the limit and 415 for one that is not JSON', async () => {
    for (const op of api.operations().filter((o) => documents(o, 413))) {
      const big = await send(main, op, { body: { pad: 'x'.repeat(17_000) } });
      expect(big.status, `${op.method} ${op.template}`).toBe(413);
    }
    for (const op of api.operations().filter((o) => documents(o, 415))) {
      const text = await send(main, op, { raw: 'hello', headers: { 'content-type': 'text/plain' } });
      expect(text.status, `${op.method} ${op.template}`).toBe(415);
    }
  });

  it('503 while Redis and Postgres are unreachable', async () => {
    for (const op of api.operations().filter((o) => documents(o, 503))) {
      // A fresh instance each time: a Postgres client that has failed for a while waits longer between
      // attempts (up to 10 s here), which this test is not about.
      const res = await send(deadInstance(), op);
      expect(res.status, `${op.method} ${op.template}: ${res.text}`).toBe(503);
    }
  });

  it('200 for the operations pages and checks', async () => {
    for (const path of [
      '/healthz',
      '/readyz',
      '/metrics',
      '/v1/ping',
      '/openapi.json',
      '/docs',
      '/docs/scalar.js',
      '/dashboard',
    ])
      expect((await api.request(main.app, 'GET', path)).status, path).toBe(200);
  });
});

describe("the users' routes", () => {
  it('campaign, claim, replay, refusals, claims/me', async () => {
    const { id } = await createCampaign(main.app, { totalStock: 2 });
    const token = user('alice');
    expect((await api.request(main.app, 'GET', `/v1/campaigns/${id}`)).status).toBe(200);
    const claims = `/v1/campaigns/${id}/claims`;
    const first = await api.request(main.app, 'POST', claims, {
      token,
      headers: { 'idempotency-key': 'k1' },
    });
    expect(first.status).toBe(201);
    const replay = await api.request(main.app, 'POST', claims, {
      token,
      headers: { 'idempotency-key': 'k1' },
    });
    expect(replay.status).toBe(200);
    expect((await api.request(main.app, 'POST', claims, { token })).status).toBe(409);
    expect((await api.request(main.app, 'POST', claims, { token: user('bob'), body: {} })).status).toBe(201);
    expect((await api.request(main.app, 'POST', claims, { token: user('carol') })).status).toBe(410);
    expect((await api.request(main.app, 'GET', `${claims}/me`, { token })).status).toBe(200);

    const later = await createCampaign(main.app, { totalStock: 1, startsAt: new Date(Date.now() + 60_000) });
    expect((await api.request(main.app, 'POST', `/v1/campaigns/${later.id}/claims`, { token })).status).toBe(
      403,
    );
    for (const [method, path] of [
      ['GET', '/v1/campaigns/no-such-campaign'],
      ['POST', '/v1/campaigns/no-such-campaign/claims'],
      ['GET', '/v1/campaigns/no-such-campaign/claims/me'],
    ] as const)
      expect((await api.request(main.app, method, path, { token })).status, path).toBe(404);
  });

  it('release, and the coupon routes of the order system', async () => {
    const { id } = await createCampaign(main.app, { totalStock: 10 });
    const claimOf = async (sub: string) =>
      (await api.request(main.app, 'POST', `/v1/campaigns/${id}/claims`, { token: user(sub) })).body.claim;
    const release = (claimId: string, token = ADMIN_TOKEN) =>
      api.request(main.app, 'POST', `/v1/campaigns/${id}/claims/${claimId}/release`, { token });
    const redeem = (code: string, orderId: string) =>
      api.request(main.app, 'POST', `/v1/coupons/${code}/redeem`, {
        token: SERVICE_TOKEN,
        body: { orderId },
      });

    const kept = await claimOf('dave');
    expect(
      (await api.request(main.app, 'GET', `/v1/coupons/${kept.couponCode}`, { token: SERVICE_TOKEN })).status,
    ).toBe(200);
    expect((await redeem(kept.couponCode, 'order-1')).status).toBe(200);
    expect((await redeem(kept.couponCode, 'order-2')).status).toBe(409);
    expect((await release(kept.id)).status).toBe(409);

    const given = await claimOf('erin');
    expect((await release(given.id, user('erin'))).status).toBe(200);
    expect((await redeem(given.couponCode, 'order-3')).status).toBe(409);
    expect((await release(randomUUID())).status).toBe(404);
    expect((await redeem(SAMPLE.code!, 'order-4')).status).toBe(404);
    expect(
      (await api.request(main.app, 'GET', `/v1/coupons/${SAMPLE.code}`, { token: SERVICE_TOKEN })).status,
    ).toBe(404);
  });

  it('an expired coupon can be neither redeemed nor given back', async () => {
    const { id } = await createCampaign(main.app, { totalStock: 5, couponTtlSeconds: 1 });
    const made = await api.request(main.app, 'POST', `/v1/campaigns/${id}/claims`, { token: user('frank') });
    await new Promise((r) => setTimeout(r, 1_200));
    const { couponCode, id: claimId } = made.body.claim;
    const redeem = { token: SERVICE_TOKEN, body: { orderId: 'late-order' } };
    expect((await api.request(main.app, 'POST', `/v1/coupons/${couponCode}/redeem`, redeem)).status).toBe(
      410,
    );
    const release = `/v1/campaigns/${id}/claims/${claimId}/release`;
    expect((await api.request(main.app, 'POST', release, { token: ADMIN_TOKEN })).status).toBe(410);
  });
});

describe('gift packs', () => {
  it('define, read, press: claimed, replayed, already claimed, sold out, not active', async () => {
    const a = await createCampaign(main.app, { totalStock: 1 });
    const b = await createCampaign(main.app, { totalStock: 1 });
    const define = (id: string, campaignIds: string[]) =>
      api.request(main.app, 'POST', '/v1/admin/bundles', {
        token: ADMIN_TOKEN,
        body: { id, name: id, campaignIds },
      });
    expect((await define('conformance-pack', [a.id, b.id])).status).toBe(201);
    expect((await define('conformance-pack', [a.id, b.id])).status).toBe(409);
    expect((await define('conformance-other', [a.id, 'no-such-campaign'])).status).toBe(404);
    const read = (id: string) =>
      api.request(main.app, 'GET', `/v1/admin/bundles/${id}`, { token: ADMIN_TOKEN });
    expect((await read('conformance-pack')).status).toBe(200);
    expect((await read('no-such-pack')).status).toBe(404);
    const press = (id: string, sub: string, key?: string) =>
      api.request(main.app, 'POST', `/v1/bundles/${id}/claims`, {
        token: user(sub),
        headers: key ? { 'idempotency-key': key } : {},
      });
    expect((await press('conformance-pack', 'gina', 'g1')).status).toBe(201);
    expect((await press('conformance-pack', 'gina', 'g1')).status).toBe(200);
    expect((await press('conformance-pack', 'gina')).status).toBe(409);
    expect((await press('conformance-pack', 'hugo')).status).toBe(410);
    expect((await press('no-such-pack', 'hugo')).status).toBe(404);
    const later = await createCampaign(main.app, {
      totalStock: 1,
      startsAt: new Date(Date.now() + 3_600_000),
      endsAt: new Date(Date.now() + 7_200_000),
    });
    const c = await createCampaign(main.app, { totalStock: 1 });
    expect((await define('conformance-later', [c.id, later.id])).status).toBe(201);
    expect((await press('conformance-later', 'ivan')).status).toBe(403);
  });
});

describe("the operators' routes", () => {
  const as = (method: string, path: string, opts: Parameters<Conformance['request']>[3] = {}) =>
    api.request(main.app, method, `/v1/admin${path}`, { token: ADMIN_TOKEN, ...opts });

  it('campaigns: create, read, change, pause, stock, audit, stats', async () => {
    const body = {
      ...(VALID_BODY['POST /v1/admin/campaigns'] as object),
      id: 'conformance-a',
      totalStock: 5,
    };
    const created = await as('POST', '/campaigns', { body });
    expect(created.status).toBe(201);
    expect((await as('POST', '/campaigns', { body })).status).toBe(409);
    expect((await as('GET', '/campaigns')).status).toBe(200);
    expect((await as('GET', '/campaigns/conformance-a')).status).toBe(200);
    const etag = created.headers.get('etag')!;
    const rename = { body: { name: 'renamed' } };
    expect((await as('PATCH', '/campaigns/conformance-a', rename)).status).toBe(428);
    expect(
      (await as('PATCH', '/campaigns/conformance-a', { ...rename, headers: { 'if-match': '"999"' } })).status,
    ).toBe(412);
    expect(
      (await as('PATCH', '/campaigns/conformance-a', { ...rename, headers: { 'if-match': etag } })).status,
    ).toBe(200);
    expect((await as('POST', '/campaigns/conformance-a/pause')).status).toBe(200);
    expect((await as('POST', '/campaigns/conformance-a/resume')).status).toBe(200);
    expect((await as('POST', '/campaigns/conformance-a/stock', { body: { delta: 2 } })).status).toBe(200);
    expect((await as('POST', '/campaigns/conformance-a/stock', { body: { delta: -100 } })).status).toBe(409);
    expect((await as('GET', '/campaigns/conformance-a/changes')).status).toBe(200);
    expect((await as('GET', '/campaigns/conformance-a/stats')).status).toBe(200);

    const unknown = { headers: { 'if-match': '"1"' } };
    for (const [method, path, opts] of [
      ['GET', '/campaigns/no-such-campaign', {}],
      ['PATCH', '/campaigns/no-such-campaign', { ...unknown, ...rename }],
      ['POST', '/campaigns/no-such-campaign/pause', {}],
      ['POST', '/campaigns/no-such-campaign/resume', {}],
      ['POST', '/campaigns/no-such-campaign/stock', { body: { delta: 1 } }],
      ['GET', '/campaigns/no-such-campaign/stats', {}],
    ] as const)
      expect((await as(method, path, opts)).status, `${method} ${path}`).toBe(404);
  });

  it('reconcile, its reports and the dashboard overview', async () => {
    await createCampaign(main.app, { totalStock: 3 });
    expect((await as('POST', '/reconcile')).status).toBe(200);
    expect((await as('POST', '/reconcile', { body: { campaignId: 'conformance-a' } })).status).toBe(200);
    expect((await as('POST', '/reconcile', { body: { campaignId: 'no-such-campaign' } })).status).toBe(404);
    expect((await as('GET', '/reconciliations?limit=5')).status).toBe(200);
    expect((await as('GET', '/dashboard')).status).toBe(200);
  });
});

it('every documented status of every route was produced and matched the document', () => {
  expect(api.unseen(), 'documented but never answered here: add a request for each to this file').toEqual([]);
});
