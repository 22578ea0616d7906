import type { PassContext } from '../context.ts';
import type { CampaignReport } from '../report.ts';

/**
 * Where things stand, from the pass' atomic read of the counters (step 4); I6 (drained): with nothing
 * pending or refused at that read, every claim Redis counted is in Postgres.
 */
export async function summarize(ctx: PassContext, startedAt: number): Promise<CampaignReport> {
  const { deps, found } = ctx;
  const [claimRecords, persisted] = await Promise.all([
    ctx.redis.hlen(ctx.keys.claims),
    deps.repos.claims.countByCampaign(ctx.id),
  ]);
  const claimed = found?.claimed ?? 0;
  const pending = found?.pending ?? 0;
  const settled = pending === 0 && (found?.refused ?? 0) === 0;
  if (found && settled && ctx.persistedUpTo !== claimed) {
    ctx.violations.push({
      invariant: 'I6',
      message: `nothing is pending, yet Postgres has ${ctx.persistedUpTo} claims and Redis ${claimed}`,
      values: { persisted: ctx.persistedUpTo, claimed },
      repaired: false,
    });
  }
  return {
    campaignId: ctx.id,
    durationMs: deps.now() - startedAt,
    redis: {
      totalStock: found?.totalStock ?? 0,
      remaining: found?.remaining ?? 0,
      claimed,
      claimRecords,
      pending,
    },
    postgres: { totalStock: ctx.campaign.totalStock, persisted },
    repairs: ctx.repairs,
    violations: ctx.violations,
    drained: settled && ctx.persistedUpTo === claimed,
  };
}
