import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from '../redis/connections.ts';
import { allBucketKeys, campaignKeys } from '../redis/keys.ts';
import { scripts } from '../redis/scripts/index.ts';
import { hashSlot } from '../redis/slot.ts';
import { couponCode, uuidv7 } from '../shared/ids.ts';

const runIds = new WeakMap<Redis, Promise<string>>();

const runIdOfServer = (redis: Redis): Promise<string> => {
  let id = runIds.get(redis);
  if (!id) {
    id = redis.info('server').then((text) => /^run_id:(\w+)/m.exec(String(text))![1]!);
    runIds.set(redis, id);
  }
  return id;
};

/**
 * The run id of the server a test's connection reaches for `key` (on a cluster, the master serving the
 * key's slot): what the service passes the fenced scripts.
 */
export async function runIdOf(redis: RedisClient, key: string): Promise<string> {
  if (!(redis instanceof Cluster)) return runIdOfServer(redis);
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  const [address] = redis.slots[hashSlot(key)] ?? [];
  const node = redis.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === address);
  if (!node) throw new Error(`no master known for ${key}`);
  return runIdOfServer(node);
}

/** Loads a campaign straight into Redis (no Postgres), for script-level tests. */
export async function seedCampaign(
  redis: RedisClient,
  prefix: string,
  id: string,
  opts: {
    stock: number;
    perUserLimit?: number;
    startsAt?: number;
    endsAt?: number;
    paused?: boolean;
    buckets?: number;
  },
) {
  const now = Date.now();
  const def = {
    id,
    name: 'seeded',
    totalStock: opts.stock,
    perUserLimit: opts.perUserLimit ?? 1,
    startsAt: new Date(opts.startsAt ?? now - 60_000),
    endsAt: new Date(opts.endsAt ?? now + 3_600_000),
    paused: opts.paused ?? false,
    version: 1,
    buckets: opts.buckets ?? 1,
  };
  for (const keys of allBucketKeys(prefix, id, def.buckets))
    await scripts.initCampaign(redis, keys, def, await runIdOf(redis, keys.meta));
}

/** Calls claim.lua the way the claim service does (a fresh claim id and code, unless given). */
export async function scriptClaim(
  redis: RedisClient,
  prefix: string,
  campaignId: string,
  userId: string,
  idempotencyKey = '',
  claimId = uuidv7(),
) {
  const keys = campaignKeys(prefix, campaignId);
  return scripts.claim(redis, keys, {
    campaignId,
    userId,
    claimId,
    couponCode: couponCode(),
    idempotencyKey,
    idempotencyTtlSeconds: 3600,
    runId: await runIdOf(redis, keys.meta),
  });
}
