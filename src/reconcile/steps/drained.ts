import type { PassContext } from '../context.ts';
import type { CampaignReport } from '../report.ts';

/**
 * I6 (drained) for one bucket, from the pass' atomic read of its counters (step 4): with nothing pending
 * or refused at that read, every claim the bucket sold is in Postgres.
 */
function drainedBucket(ctx: PassContext): boolean {
  const { found } = ctx;
  const claimed = found?.claimed ?? 0;
  const settled = (found?.pending ?? 0) === 0 && (found?.refused ?? 0) === 0;
  const { persistedUpTo: held, returningUpTo: returning } = ctx;
  if (found && settled && (claimed < held || claimed > held + returning)) {
    ctx.violations.push({
      invariant: 'I6',
      message: `nothing is pending, yet Postgres has ${ctx.persistedUpTo} claims and Redis ${claimed}`,
      values: {
        persisted: ctx.persistedUpTo,
        claimed,
        ...(ctx.keys.buckets > 1 ? { bucket: ctx.keys.bucket } : {}),
      },
      repaired: false,
    });
  }
  return settled && returning === 0 && held === claimed;
}

/** Where things stand over the campaign's buckets, and whether it is drained (I6 in every bucket). */
export async function summarize(passes: PassContext[], startedAt: number): Promise<CampaignReport> {
  const first = passes[0]!;
  const last = passes[passes.length - 1]!;
  const { deps } = first;
  const [records, persisted] = await Promise.all([
    Promise.all(passes.map((p) => p.redis.hlen(p.keys.claims))),
    deps.repos.claims.countByCampaign(first.id),
  ]);
  const drained = passes.map(drainedBucket).every(Boolean);
  const buckets = passes.map((p) => ({
    bucket: p.keys.bucket,
    totalStock: p.found?.totalStock ?? 0,
    remaining: p.found?.remaining ?? 0,
    claimed: p.found?.claimed ?? 0,
    pending: p.found?.pending ?? 0,
  }));
  const sum = (field: 'totalStock' | 'remaining' | 'claimed' | 'pending') =>
    buckets.reduce((n, b) => n + b[field], 0);
  return {
    campaignId: first.id,
    durationMs: deps.now() - startedAt,
    redis: {
      totalStock: sum('totalStock'),
      remaining: sum('remaining'),
      claimed: sum('claimed'),
      claimRecords: records.reduce((a, b) => a + b, 0),
      pending: sum('pending'),
    },
    ...(passes.length > 1 ? { buckets } : {}),
    postgres: { totalStock: last.campaign.totalStock, persisted },
    repairs: first.repairs,
    violations: first.violations,
    drained,
  };
}
