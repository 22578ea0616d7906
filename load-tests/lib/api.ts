import { signJwt } from '../../src/auth/jwt.ts';

/** Small client for the admin API, used by the load runner, the benchmark and the fleet. */
export function adminClient(baseUrl: string, adminToken: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}/v1/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  return {
    createCampaign: (c: {
      id: string;
      totalStock: number;
      perUserLimit?: number;
      name?: string;
      buckets?: number;
    }) =>
      call('POST', '/campaigns', {
        id: c.id,
        name: c.name ?? c.id,
        totalStock: c.totalStock,
        perUserLimit: c.perUserLimit ?? 1,
        startsAt: new Date(Date.now() - 60_000).toISOString(),
        endsAt: new Date(Date.now() + 24 * 3_600_000).toISOString(),
        ...(c.buckets === undefined ? {} : { buckets: c.buckets }),
      }),
    createBundle: (b: { id: string; campaignIds: string[]; name?: string }) =>
      call('POST', '/bundles', { id: b.id, name: b.name ?? b.id, campaignIds: b.campaignIds }),
    stats: (id: string) =>
      call('GET', `/campaigns/${id}/stats`) as Promise<{
        totalStock: number;
        remaining: number;
        claimed: number;
        persisted: number;
        pending: number;
        queue: { waiting: number; active: number; delayed: number; failed: number };
        buckets?: {
          bucket: number;
          totalStock: number;
          remaining: number;
          claimed: number;
          pending: number;
        }[];
      }>,
  };
}

/** Mints `count` user tokens (user ids `<prefix>-<n>`), valid for a day. */
export function mintTokens(secret: string, prefix: string, count: number): string[] {
  const exp = Math.floor(Date.now() / 1000) + 86_400;
  return Array.from({ length: count }, (_, i) => signJwt({ sub: `${prefix}-${i}`, exp }, secret));
}
