import { definitionDiffers } from '../../domain/campaign.ts';
import { scripts } from '../../redis/scripts/index.ts';
import type { PassContext } from '../context.ts';

/** Step 2: a definition committed in Postgres but never written to Redis (a crash, a manual edit). */
export async function syncDefinition(ctx: PassContext): Promise<void> {
  const { live, campaign } = ctx;
  if (ctx.repairs.rebuilt || !live || !definitionDiffers(live, campaign)) return;
  await scripts.setDefinition(ctx.redis, ctx.keys, campaign);
  ctx.repairs.definitionSynced = true;
  ctx.violations.push({
    invariant: 'definition',
    message: 'Redis held a different definition than Postgres; copied from Postgres',
    values: { redisVersion: live.version, postgresVersion: campaign.version },
    repaired: true,
  });
}
