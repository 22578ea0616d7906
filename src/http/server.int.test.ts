import type { Server } from 'node:http';
import { request } from 'node:http';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type Instance, type TestEnv } from '../testing/harness.ts';
import { createCampaign } from '../testing/http.ts';

// The Node adapter takes shortcuts app.request() does not (bodies judged from the headers), so these
// go over a real socket.
let env: TestEnv;
let instance: Instance;
let server: Server;
let port: number;

beforeAll(async () => {
  env = await createTestEnv('server');
  instance = env.instance();
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: instance.app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(s as Server),
    );
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await env.cleanup();
});

/** Raw HTTP/1.1 request: `chunks` are written one by one (chunked encoding when no Content-Length). */
function send(path: string, headers: Record<string, string>, chunks: string[] = []) {
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }),
      );
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('over a real socket', () => {
  it('claims with no body, with {} and Content-Length, and refuses a malformed body', async () => {
    const { id } = await createCampaign(instance.app, { totalStock: 10 });
    const auth = (u: string) => ({ authorization: `Bearer ${env.userToken(u)}` });
    expect((await send(`/v1/campaigns/${id}/claims`, auth('no-body'))).status).toBe(201);
    const withBody = await send(
      `/v1/campaigns/${id}/claims`,
      { ...auth('empty-object'), 'content-type': 'application/json', 'content-length': '2' },
      ['{}'],
    );
    expect(withBody.status).toBe(201);
    const chunked = await send(
      `/v1/campaigns/${id}/claims`,
      { ...auth('chunked'), 'content-type': 'application/json' },
      ['{', '}'],
    );
    expect(chunked.status).toBe(201);
    const bad = await send(
      `/v1/campaigns/${id}/claims`,
      { ...auth('bad'), 'content-type': 'application/json', 'content-length': '5' },
      ['{oops'],
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
  });

  it('413s an oversized body whether it declares its length or streams it chunked', async () => {
    const admin = { authorization: `Bearer ${env.config.ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const big = JSON.stringify({ name: 'x'.repeat(40_000) });
    const declared = await send('/v1/admin/campaigns', { ...admin, 'content-length': String(big.length) }, [
      big,
    ]);
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe('payload_too_large');
    const streamed = await send('/v1/admin/campaigns', admin, [big.slice(0, 20_000), big.slice(20_000)]);
    expect(streamed.status).toBe(413);
    expect(streamed.body.error.code).toBe('payload_too_large');
    expect((await instance.services.repos.campaigns.list()).length).toBe(1);
  });
});
