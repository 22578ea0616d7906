import type { Queue } from 'bullmq';
import type { CampaignsRepo } from '../db/campaigns.repo.ts';
import type { ClaimsRepo } from '../db/claims.repo.ts';
import { type Campaign, combineBuckets, type LiveCampaign } from '../domain/campaign.ts';
import { allBucketKeys, type CampaignKeys, campaignKeys } from '../redis/keys.ts';
import { decodeMeta, META_FIELDS } from '../redis/records/campaign-meta.ts';
import type { RedisRouter } from '../redis/router.ts';
import { AppError, UnavailableError } from '../shared/errors.ts';

export interface BucketStats {
  bucket: number;
  totalStock: number;
  remaining: number;
  claimed: number;
  pending: number;
}

export interface CampaignStats {
  id: string;
  totalStock: number;
  remaining: number;
  claimed: number;
  persisted: number;
  pending: number;
  /** Coupons redeemed, given back and expired (Postgres). */
  redeemed: number;
  released: number;
  expired: number;
  queue: { waiting: number; active: number; delayed: number; failed: number };
  /** Each bucket's share (one entry for a campaign without buckets). */
  buckets: BucketStats[];
}

export interface CampaignReaderDeps {
  redis: RedisRouter;
  keyPrefix: string;
  campaigns: CampaignsRepo;
  claims: ClaimsRepo;
  /** True when Postgres knows a campaign Redis lacks (a restore is then under way). */
  restoreIfKnown: (campaignId: string) => Promise<boolean>;
  queue: Queue;
}

export const campaignNotFound = (id: string) =>
  new AppError('campaign_not_found', `campaign ${id} does not exist`);

/** Reads: the live copy from Redis (public), definitions from Postgres (admin), and the stats. */
export function createCampaignReader(deps: CampaignReaderDeps) {
  const readMeta = async (keys: CampaignKeys) =>
    decodeMeta(keys.campaignId, await deps.redis.run(keys.meta, (r) => r.hmget(keys.meta, ...META_FIELDS)));

  /**
   * Every bucket's live copy from Redis (bucket 0 says how many there are); a campaign Postgres has but
   * Redis lost (all of it or a bucket) answers 503 while it is restored.
   */
  const liveBuckets = async (id: string): Promise<LiveCampaign[]> => {
    const first = await readMeta(campaignKeys(deps.keyPrefix, id));
    const rest =
      first && first.buckets > 1
        ? await Promise.all(allBucketKeys(deps.keyPrefix, id, first.buckets).slice(1).map(readMeta))
        : [];
    const parts = [first, ...rest];
    if (parts.every((p): p is LiveCampaign => p !== null && !p.rebuilding)) return parts;
    // Missing in Redis (all of it, or a bucket): Postgres says whether it exists, and a restore starts.
    if (parts.some((p) => p === null) && !(await deps.restoreIfKnown(id)) && !first)
      throw campaignNotFound(id);
    throw new UnavailableError('redis');
  };

  const live = async (id: string): Promise<LiveCampaign> => combineBuckets(await liveBuckets(id));

  return {
    live,

    /** The live copy and Redis' clock, which decides the campaign's state (as it decides its claims). */
    async liveNow(id: string): Promise<{ campaign: LiveCampaign; now: number }> {
      const meta = campaignKeys(deps.keyPrefix, id).meta;
      const [campaign, [seconds, micros]] = await Promise.all([
        live(id),
        deps.redis.run(meta, (r) => r.time()),
      ]);
      return { campaign, now: Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) };
    },

    async get(id: string): Promise<Campaign> {
      const campaign = await deps.campaigns.find(id);
      if (!campaign) throw campaignNotFound(id);
      return campaign;
    },

    list: (): Promise<Campaign[]> => deps.campaigns.list(),

    async stats(id: string): Promise<CampaignStats> {
      const parts = await liveBuckets(id);
      const c = combineBuckets(parts);
      const keys = campaignKeys(deps.keyPrefix, id);
      const bucketKeys = allBucketKeys(deps.keyPrefix, id, c.buckets);
      const [persisted, states, pendings, counts] = await Promise.all([
        deps.claims.countByCampaign(id),
        deps.claims.countByState(id),
        Promise.all(bucketKeys.map((k) => deps.redis.run(k.meta, (r) => r.zcard(k.pending)))),
        // Bounded like every request-path call (the queue lives on its own connection).
        deps.redis.run(keys.meta, () => deps.queue.getJobCounts('waiting', 'active', 'delayed', 'failed')),
      ]);
      return {
        id,
        totalStock: c.totalStock,
        remaining: c.remaining,
        claimed: c.claimed,
        persisted,
        pending: pendings.reduce((a, b) => a + b, 0),
        ...states,
        buckets: parts.map((p, bucket) => ({
          bucket,
          totalStock: p.totalStock,
          remaining: p.remaining,
          claimed: p.claimed,
          pending: pendings[bucket] ?? 0,
        })),
        queue: {
          waiting: counts.waiting ?? 0,
          active: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          failed: counts.failed ?? 0,
        },
      };
    },
  };
}

export type CampaignReader = ReturnType<typeof createCampaignReader>;
