import type { Redis } from 'ioredis';
import { campaignKeys } from '../redis/keys.ts';
import { scripts } from '../redis/scripts/index.ts';
import { couponCode, uuidv7 } from '../shared/ids.ts';

const runIds = new WeakMap<Redis, Promise<string>>();

/** The run id of the server a test's connection talks to (what the service passes the fenced scripts). */
export function runIdOf(redis: Redis): Promise<string> {
  let id = runIds.get(redis);
  if (!id) {
    id = redis.info('server').then((text) => /^run_id:(\w+)/m.exec(String(text))![1]!);
    runIds.set(redis, id);
  }
  return id;
}

/** Loads a campaign straight into Redis (no Postgres), for script-level tests. */
export async function seedCampaign(
  redis: Redis,
  prefix: string,
  id: string,
  opts: { stock: number; perUserLimit?: number; startsAt?: number; endsAt?: number; paused?: boolean },
) {
  const now = Date.now();
  await scripts.initCampaign(
    redis,
    campaignKeys(prefix, id),
    {
      id,
      name: 'seeded',
      totalStock: opts.stock,
      perUserLimit: opts.perUserLimit ?? 1,
      startsAt: new Date(opts.startsAt ?? now - 60_000),
      endsAt: new Date(opts.endsAt ?? now + 3_600_000),
      paused: opts.paused ?? false,
      version: 1,
    },
    await runIdOf(redis),
  );
}

/** Calls claim.lua the way the claim service does (a fresh claim id and code, unless given). */
export async function scriptClaim(
  redis: Redis,
  prefix: string,
  campaignId: string,
  userId: string,
  idempotencyKey = '',
  claimId = uuidv7(),
) {
  return scripts.claim(redis, campaignKeys(prefix, campaignId), {
    campaignId,
    userId,
    claimId,
    couponCode: couponCode(),
    idempotencyKey,
    idempotencyTtlSeconds: 3600,
    runId: await runIdOf(redis),
  });
}
