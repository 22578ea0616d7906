import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { signJwt } from '../src/auth/jwt.ts';
import { freePorts } from './lib/ports.ts';
import { type ServiceProcess, spawnService, waitReady } from './lib/processes.ts';
import { scratch } from './lib/scratch.ts';

const resources = scratch('clockskew');
const started: ServiceProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop(5_000)));
  await resources.cleanup();
});

const ADMIN_TOKEN = 'clock-admin-token';
const JWT_SECRET = 'clock-jwt-secret';
const preload = fileURLToPath(new URL('./lib/skewed-clock.mjs', import.meta.url));

async function instance(port: number, skewMs: number) {
  const p = spawnService({
    name: `api-skew${skewMs}`,
    port,
    nodeArgs: ['--import', preload],
    env: {
      ROLE: 'api',
      CLOCK_SKEW_MS: String(skewMs),
      DATABASE_URL: resources.databaseUrl,
      REDIS_PREFIX: resources.prefix,
      ADMIN_TOKEN,
      JWT_SECRET,
      LOG_LEVEL: 'warn',
    },
  });
  started.push(p);
  await waitReady(p);
  return p.url!;
}

const claim = async (base: string, campaignId: string, user: string) => {
  const token = signJwt({ sub: user, exp: Math.floor(Date.now() / 1000) + 600 }, JWT_SECRET);
  const res = await fetch(`${base}/v1/campaigns/${campaignId}/claims`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as { error?: { reason?: string } } };
};

describe('instances whose clocks are wrong', () => {
  it('agree on when a sale opens and closes: Redis decides, not each instance', async () => {
    const base = await freePorts(2);
    const [fast, slow] = await Promise.all([instance(base, 3_000), instance(base + 1, -3_000)]);
    const opensIn = 1_500;
    const startsAt = new Date(Date.now() + opensIn);
    const endsAt = new Date(startsAt.getTime() + 2_500);
    const created = await fetch(`${fast}/v1/admin/campaigns`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'skewed', name: 'skewed', totalStock: 10, startsAt, endsAt }),
    });
    expect(created.status).toBe(201);

    // The fast instance believes the sale opened 1.5 s ago; it has not.
    const early = await claim(fast, 'skewed', 'early-bird');
    expect(early.status).toBe(403);
    expect(early.body.error?.reason).toBe('not_started');
    expect(((await (await fetch(`${fast}/v1/campaigns/skewed`)).json()) as { state: string }).state).toBe(
      'scheduled',
    );

    // Once it has opened, the slow instance (which believes it opens in 1.5 s) sells.
    await new Promise((r) => setTimeout(r, Math.max(0, startsAt.getTime() - Date.now()) + 200));
    expect((await claim(slow, 'skewed', 'on-time')).status).toBe(201);
    expect(((await (await fetch(`${slow}/v1/campaigns/skewed`)).json()) as { state: string }).state).toBe(
      'active',
    );

    // And once it has closed, the slow instance (which believes it has 3 s left) refuses.
    await new Promise((r) => setTimeout(r, Math.max(0, endsAt.getTime() - Date.now()) + 200));
    const late = await claim(slow, 'skewed', 'too-late');
    expect(late.status).toBe(403);
    expect(late.body.error?.reason).toBe('ended');
  });
});
