import { countClaimIds } from '../../redis/records/claim-ids.ts';
import { violationsPerUser } from '../checks.ts';
import type { PassContext } from '../context.ts';

/** Users hash entries one pass checks; the scan continues where the last pass stopped. */
const USERS_PER_PASS = 20_000;
const SCAN_COUNT = 1_000;

/**
 * Per-user limits in Redis (I3): an incremental scan of the bucket's users in short HSCAN steps (each
 * pass a slice, so a sale of millions never makes one long command); the script itself never lets a user
 * past the limit, so this watches for writes behind the service's back.
 */
export async function checkPerUserInRedis(ctx: PassContext): Promise<void> {
  const { keys, campaign } = ctx;
  let cursor = (await ctx.redis.hget(keys.reconcile, 'usersCursor')) ?? '0';
  const counts = new Map<string, number>();
  let seen = 0;
  do {
    const [next, fields] = await ctx.redis.hscan(keys.users, cursor, 'COUNT', SCAN_COUNT);
    cursor = next;
    for (let i = 0; i + 1 < fields.length; i += 2) counts.set(fields[i]!, countClaimIds(fields[i + 1]!));
    seen += fields.length / 2;
  } while (cursor !== '0' && seen < USERS_PER_PASS);
  await ctx.redis.hset(keys.reconcile, 'usersCursor', cursor);
  ctx.violations.push(...violationsPerUser('redis', counts, campaign.perUserLimit));
}

/** Per-user limits in Postgres (I5), over the whole campaign. */
export async function checkPerUserInPostgres(ctx: PassContext): Promise<void> {
  const { deps, campaign } = ctx;
  const inPostgres = await deps.repos.claims.usersOver(ctx.id, campaign.perUserLimit);
  ctx.violations.push(...violationsPerUser('postgres', inPostgres, campaign.perUserLimit));
}
