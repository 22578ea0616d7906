import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type Instance, type TestEnv } from '../testing/harness.ts';
import { call, claim, createCampaign } from '../testing/http.ts';
import { closeServer, listen } from './server.ts';

let env: TestEnv;
let a: Instance;
let b: Instance;

beforeAll(async () => {
  env = await createTestEnv('limits', {
    RATE_LIMIT_PER_SECOND: '10',
    RATE_LIMIT_ADDRESS_PER_SECOND: '15',
    AUTH_FAILURES_PER_MINUTE: '5',
  });
  a = env.instance();
  b = env.instance();
});
afterAll(() => env.cleanup());

/** Redis' clock, which the shared windows follow. */
const redisNow = async () => {
  const [s, us] = await env.redis().time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the per-user limit is shared by every instance', () => {
  it('two instances together let through no more than the limit in a second', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 100 });
    const token = env.userToken('two-instances');
    // Start early in a second, so the burst stays within it.
    const at = await redisNow();
    await sleep(1_000 - (at % 1_000) + 20);
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => claim(i % 2 ? a.app : b.app, id, token)),
    );
    const passed = replies.filter((r) => r.status !== 429);
    expect(passed.length).toBeLessThanOrEqual(10);
    expect(passed.length).toBeGreaterThanOrEqual(9);
    const limited = replies.find((r) => r.status === 429)!;
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('a burst across a second boundary is not doubled: the window slides', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 100 });
    const token = env.userToken('edge-burst');
    const at = await redisNow();
    await sleep((900 - (at % 1_000) + 1_000) % 1_000);
    const first = await Promise.all(Array.from({ length: 10 }, () => claim(a.app, id, token)));
    await sleep(200);
    const second = await Promise.all(Array.from({ length: 10 }, () => claim(b.app, id, token)));
    const ok = (rs: typeof first) => rs.filter((r) => r.status !== 429).length;
    expect(ok(first)).toBe(10);
    // A fixed window would let 10 more through just after the edge; the sliding one only what the
    // last second's share leaves.
    expect(ok(second)).toBeLessThanOrEqual(3);
  });
});

describe('over a real socket', () => {
  let port: number;
  let server: Awaited<ReturnType<typeof listen>>['server'];
  beforeAll(async () => {
    const listening = await listen(a.app, 0, {
      maxConnections: 1_000,
      requestTimeoutMs: 10_000,
      headersTimeoutMs: 5_000,
    });
    server = listening.server;
    port = listening.port;
  });
  afterAll(() => closeServer(server, Date.now() + 500));

  const post = (path: string, headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', (err) => reject(new Error(`${path}: ${err.message}`, { cause: err })));
      req.end();
    });

  it('limits one client address however many users it claims for', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 100 });
    const at = await redisNow();
    await sleep(1_000 - (at % 1_000) + 20);
    const statuses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        post(`/v1/campaigns/${id}/claims`, { authorization: `Bearer ${env.userToken(`addr-${i}`)}` }),
      ),
    );
    expect(statuses.filter((s) => s === 201).length).toBeLessThanOrEqual(15);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(15);
  });

  it('refuses an address after too many failed authentications, even with a good token', async () => {
    const { id } = await createCampaign(a.app, { totalStock: 10 });
    for (let i = 0; i < 6; i++) {
      expect(await post(`/v1/campaigns/${id}/claims`, { authorization: 'Bearer guessed.token.value' })).toBe(
        401,
      );
    }
    expect(
      await post(`/v1/campaigns/${id}/claims`, { authorization: `Bearer ${env.userToken('honest')}` }),
    ).toBe(429);
  });

  it('cuts off a client trickling its request, and caps open connections', async () => {
    const strict = await listen(b.app, 0, {
      maxConnections: 5,
      requestTimeoutMs: 600,
      headersTimeoutMs: 400,
    });
    const port = strict.port;
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const started = Date.now();
    socket.write(
      `POST /v1/admin/campaigns HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${env.config.ADMIN_TOKEN}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
    );
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => {
        text += d;
      });
      socket.on('close', () => resolve(text));
    });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);

    const held = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const s = connect(port, '127.0.0.1');
        await new Promise((r) => s.once('connect', r));
        return s;
      }),
    );
    const extra = connect(port, '127.0.0.1');
    const refused = await new Promise<boolean>((resolve) => {
      extra.on('close', () => resolve(true));
      extra.on('data', () => resolve(false));
      setTimeout(() => resolve(false), 2_000);
    });
    expect(refused).toBe(true);
    for (const s of held) s.destroy();
    extra.destroy();
    await closeServer(strict.server, Date.now() + 500);
    expect((await call(a.app, 'GET', '/healthz')).status).toBe(200);
  });
});
