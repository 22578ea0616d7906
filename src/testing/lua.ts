import type { Redis } from 'ioredis';
import { couponCode, uuidv7 } from '../claim/ids.ts';
import { campaignKeys } from '../redis/keys.ts';

/** Loads a campaign straight into Redis (no Postgres), for script-level tests. */
export async function seedCampaign(
  redis: Redis,
  prefix: string,
  id: string,
  opts: { stock: number; perUserLimit?: number; startsAt?: number; endsAt?: number; paused?: boolean },
) {
  const now = Date.now();
  await redis.fsInitCampaign(
    campaignKeys(prefix, id).meta,
    opts.stock,
    opts.perUserLimit ?? 1,
    opts.startsAt ?? now - 60_000,
    opts.endsAt ?? now + 3_600_000,
    opts.paused ? '1' : '0',
    1,
    'seeded',
  );
}

/** Calls claim.lua directly, the way the claim service does. */
export function scriptClaim(redis: Redis, prefix: string, campaignId: string, userId: string, idemKey = '') {
  const keys = campaignKeys(prefix, campaignId);
  const now = Date.now();
  return redis.fsClaim(
    keys.meta,
    keys.users,
    keys.claims,
    keys.pending,
    keys.idem(userId, idemKey),
    campaignId,
    userId,
    uuidv7(now),
    couponCode(),
    now,
    idemKey,
    3600,
  );
}
