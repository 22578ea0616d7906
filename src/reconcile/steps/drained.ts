import { decodeMeta, META_FIELDS } from '../../redis/records/campaign-meta.ts';
import type { PassContext } from '../context.ts';
import type { CampaignReport } from '../report.ts';

/** Step 8: where things stand now; I6 (drained) holds once nothing is pending. */
export async function summarize(ctx: PassContext, startedAt: number): Promise<CampaignReport> {
  const { deps, keys } = ctx;
  const after = decodeMeta(ctx.id, await deps.redis.hmget(keys.meta, ...META_FIELDS));
  const [claimRecords, pending, persisted] = await Promise.all([
    deps.redis.hlen(keys.claims),
    deps.redis.zcard(keys.pending),
    deps.repos.claims.countByCampaign(ctx.id),
  ]);
  const claimed = after?.claimed ?? 0;
  if (pending === 0 && persisted !== claimed) {
    ctx.violations.push({
      invariant: 'I6',
      message: `nothing is pending, yet Postgres has ${persisted} claims and Redis ${claimed}`,
      values: { persisted, claimed },
      repaired: false,
    });
  }
  return {
    campaignId: ctx.id,
    durationMs: deps.now() - startedAt,
    redis: {
      totalStock: after?.totalStock ?? 0,
      remaining: after?.remaining ?? 0,
      claimed,
      claimRecords,
      pending,
    },
    postgres: { totalStock: ctx.campaign.totalStock, persisted },
    repairs: ctx.repairs,
    violations: ctx.violations,
    drained: pending === 0 && persisted === claimed,
  };
}
