import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpsApp } from '../bootstrap/roles.ts';
import { ADMIN_TOKEN, createTestEnv, type Instance, type TestEnv } from '../testing/harness.ts';
import { call } from '../testing/http.ts';

let env: TestEnv;
let api: Instance;

beforeAll(async () => {
  env = await createTestEnv('method405');
  api = env.instance();
});
afterAll(() => env.cleanup());

describe('a wrong method on a known path', () => {
  it('answers 405 with Allow and a JSON error, on the API', async () => {
    const res = await call(api.app, 'DELETE', '/v1/campaigns/some-campaign');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.body).toEqual({
      error: {
        code: 'method_not_allowed',
        message: 'DELETE is not allowed on /v1/campaigns/some-campaign',
        allow: ['GET', 'HEAD'],
      },
    });
    const claims = await call(api.app, 'GET', '/v1/campaigns/some-campaign/claims');
    expect(claims.status).toBe(405);
    expect(claims.headers.get('allow')).toBe('POST');
    // Admin paths answer 401 before anything else to a caller without the token; with it, 405.
    expect((await call(api.app, 'PUT', '/v1/admin/campaigns')).status).toBe(401);
    const admin = await call(api.app, 'PUT', '/v1/admin/campaigns', { token: ADMIN_TOKEN });
    expect(admin.status).toBe(405);
    expect(admin.headers.get('allow')).toBe('GET, HEAD, POST');
    expect((await call(api.app, 'POST', '/metrics')).headers.get('allow')).toBe('GET, HEAD');
  });

  it('and an unknown path is still 404', async () => {
    const res = await call(api.app, 'GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect(res.headers.get('allow')).toBeNull();
  });

  it("answers 405 on the worker's operations routes too", async () => {
    const ops = createOpsApp(api.services);
    const res = await ops.request('/readyz', { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });
});
