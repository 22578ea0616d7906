import { decodeMeta, META_FIELDS } from '../../redis/records/campaign-meta.ts';
import type { PassContext } from '../context.ts';
import { rebuildCampaign } from '../rebuild.ts';

/** Step 1: Redis lost the campaign, some of its claims, or a rebuild was cut short: rebuild it. */
export async function restoreLostState(ctx: PassContext): Promise<void> {
  const { deps, keys } = ctx;
  ctx.live = decodeMeta(ctx.id, await deps.redis.hmget(keys.meta, ...META_FIELDS));
  ctx.persistedIds = await deps.repos.claims.idsForCampaign(ctx.id);
  const inRedis = new Set(await deps.redis.hkeys(keys.claims));
  const lost = [...ctx.persistedIds].filter((c) => !inRedis.has(c)).length;
  if (ctx.live && !ctx.live.rebuilding && lost === 0) return;

  const why = !ctx.live
    ? 'the campaign was missing from Redis'
    : ctx.live.rebuilding
      ? 'a rebuild had been interrupted'
      : `${lost} persisted claims were missing from Redis`;
  const result = await rebuildCampaign({ ...deps, claims: deps.repos.claims }, ctx.campaign);
  ctx.repairs.rebuilt = true;
  ctx.violations.push({
    invariant: 'redis_state',
    message: why,
    values: { missingClaims: lost, rebuild: result },
    repaired: true,
  });
  if (result.dropped.length > 0) {
    ctx.violations.push({
      invariant: 'I3',
      message: `${result.dropped.length} claims collided on (user, ordinal) and were left out`,
      values: { dropped: result.dropped.slice(0, 50) },
      repaired: false,
    });
  }
}
