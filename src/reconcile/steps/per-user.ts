import { countClaimIds } from '../../redis/records/claim-ids.ts';
import { violationsPerUser } from '../checks.ts';
import type { PassContext } from '../context.ts';

/** Step 7: per-user limits in Redis (I3) and in Postgres (I5). */
export async function checkPerUser(ctx: PassContext): Promise<void> {
  const { deps, campaign } = ctx;
  const users = await deps.redis.hgetall(ctx.keys.users);
  const inRedis = new Map(Object.entries(users).map(([user, ids]) => [user, countClaimIds(ids)]));
  ctx.violations.push(...violationsPerUser('redis', inRedis, campaign.perUserLimit));
  const inPostgres = await deps.repos.claims.usersOver(ctx.id, campaign.perUserLimit);
  ctx.violations.push(...violationsPerUser('postgres', inPostgres, campaign.perUserLimit));
}
