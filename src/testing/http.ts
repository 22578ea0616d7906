import type { App } from '../http/app.ts';
import { ADMIN_TOKEN } from './harness.ts';

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** Calls an app in-process (no server, no port) and parses the JSON reply. */
export async function call<T = any>(
  app: App,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await app.request(path, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

export const admin = (app: App, method: string, path: string, body?: unknown) =>
  call(app, method, `/v1/admin${path}`, { token: ADMIN_TOKEN, body });

let seq = 0;

/** Creates a campaign through the admin API; active now unless a window is given. */
export async function createCampaign(
  app: App,
  fields: {
    totalStock: number;
    perUserLimit?: number;
    startsAt?: Date;
    endsAt?: Date;
    id?: string;
    buckets?: number;
    couponTtlSeconds?: number;
    returnExpired?: boolean;
  },
) {
  const now = Date.now();
  const res = await admin(app, 'POST', '/campaigns', {
    id: fields.id ?? `camp-${process.pid}-${++seq}`,
    name: 'test campaign',
    totalStock: fields.totalStock,
    perUserLimit: fields.perUserLimit ?? 1,
    startsAt: (fields.startsAt ?? new Date(now - 60_000)).toISOString(),
    endsAt: (fields.endsAt ?? new Date(now + 3_600_000)).toISOString(),
    ...(fields.buckets ? { buckets: fields.buckets } : {}),
    ...(fields.couponTtlSeconds ? { couponTtlSeconds: fields.couponTtlSeconds } : {}),
    ...(fields.returnExpired ? { returnExpired: true } : {}),
  });
  if (res.status !== 201)
    throw new Error(`create campaign failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; version: number };
}

export const claim = (app: App, campaignId: string, token: string, idempotencyKey?: string) =>
  call(app, 'POST', `/v1/campaigns/${campaignId}/claims`, {
    token,
    headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
  });

/** Polls until `check` returns true or the timeout passes. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
