import type { Queue } from 'bullmq';
import type { CampaignReader } from '../campaign/campaign.read.ts';
import { type Campaign, campaignState } from '../domain/campaign.ts';
import { allBucketKeys, queuePrefix } from '../redis/keys.ts';
import type { RedisRouter } from '../redis/router.ts';
import type { OutcomeTally } from './outcomes.ts';
import type { Overview } from './overview.schema.ts';

/** Campaigns that ended longer ago than this are left out, and at most this many are shown. */
const LOOKBACK_MS = 3_600_000;
const MAX_CAMPAIGNS = 20;

export interface OverviewDeps {
  campaigns: CampaignReader;
  tally: OutcomeTally;
  redis: RedisRouter;
  keyPrefix: string;
  queue: Queue;
}

/** The persist queue's counts, bounded like every request-path call (on the queue's master). */
async function queueCounts(deps: OverviewDeps): Promise<Overview['queue']> {
  const n = await deps.redis.run(queuePrefix(deps.keyPrefix), () =>
    deps.queue.getJobCounts('waiting', 'active', 'delayed', 'failed'),
  );
  return { waiting: n.waiting ?? 0, active: n.active ?? 0, delayed: n.delayed ?? 0, failed: n.failed ?? 0 };
}

/**
 * How far persistence is behind for a campaign: the age of its oldest pending claim (pending sets are
 * scored by claimedAt, from Redis' clock, so Redis' clock measures the age).
 */
async function persistLagMs(deps: OverviewDeps, id: string, buckets: number): Promise<number> {
  const keys = allBucketKeys(deps.keyPrefix, id, buckets);
  const oldest = await Promise.all(
    keys.map((k) => deps.redis.run(k.meta, (r) => r.zrange(k.pending, '0', '0', 'WITHSCORES'))),
  );
  const scores = oldest.filter((o) => o.length === 2).map((o) => Number(o[1]));
  if (scores.length === 0) return 0;
  const [seconds, micros] = await deps.redis.run(keys[0]!.meta, (r) => r.time());
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  return Math.max(0, now - Math.min(...scores));
}

async function campaignRow(deps: OverviewDeps, c: Campaign, now: number) {
  const stats = await deps.campaigns.stats(c.id);
  const [outcomes, lag] = await Promise.all([
    deps.tally.read(c.id),
    persistLagMs(deps, c.id, stats.buckets.length),
  ]);
  const state = campaignState(
    {
      startsAt: c.startsAt.getTime(),
      endsAt: c.endsAt.getTime(),
      paused: c.paused,
      remaining: stats.remaining,
    },
    now,
  );
  return {
    id: c.id,
    name: c.name,
    state,
    startsAt: c.startsAt.toISOString(),
    endsAt: c.endsAt.toISOString(),
    totalStock: stats.totalStock,
    remaining: stats.remaining,
    claimed: stats.claimed,
    persisted: stats.persisted,
    pending: stats.pending,
    redeemed: stats.redeemed,
    released: stats.released,
    expired: stats.expired,
    persistLagMs: lag,
    outcomes,
  };
}

/** The dashboard's figures: every recent campaign's counters, outcome mix and lag, and the queue. */
export function createOverview(deps: OverviewDeps) {
  return async function overview(): Promise<Overview> {
    const now = Date.now();
    const recent = (await deps.campaigns.list())
      .filter((c) => c.endsAt.getTime() > now - LOOKBACK_MS)
      .sort((a, b) => b.startsAt.getTime() - a.startsAt.getTime() || a.id.localeCompare(b.id))
      .slice(0, MAX_CAMPAIGNS);
    const [campaigns, queue] = await Promise.all([
      Promise.all(recent.map((c) => campaignRow(deps, c, now))),
      queueCounts(deps),
    ]);
    return { at: new Date(now).toISOString(), queue, campaigns };
  };
}

export type OverviewReader = ReturnType<typeof createOverview>;
