import type { Queue } from 'bullmq';
import type { CampaignsRepo } from '../db/campaigns.repo.ts';
import type { ClaimsRepo } from '../db/claims.repo.ts';
import type { Campaign, LiveCampaign } from '../domain/campaign.ts';
import { campaignKeys } from '../redis/keys.ts';
import { decodeMeta, META_FIELDS } from '../redis/records/campaign-meta.ts';
import type { RedisRouter } from '../redis/router.ts';
import { AppError, UnavailableError } from '../shared/errors.ts';

export interface CampaignStats {
  id: string;
  totalStock: number;
  remaining: number;
  claimed: number;
  persisted: number;
  pending: number;
  queue: { waiting: number; active: number; delayed: number; failed: number };
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
  /** The live copy from Redis; a campaign Postgres has but Redis lost answers 503 while it is restored. */
  const live = async (id: string): Promise<LiveCampaign> => {
    const meta = campaignKeys(deps.keyPrefix, id).meta;
    const values = await deps.redis.run(meta, (r) => r.hmget(meta, ...META_FIELDS));
    const campaign = decodeMeta(id, values);
    if (campaign && !campaign.rebuilding) return campaign;
    if (campaign?.rebuilding || (await deps.restoreIfKnown(id))) throw new UnavailableError('redis');
    throw campaignNotFound(id);
  };

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
      const c = await live(id);
      const keys = campaignKeys(deps.keyPrefix, id);
      const [persisted, pending, counts] = await Promise.all([
        deps.claims.countByCampaign(id),
        deps.redis.run(keys.meta, (r) => r.zcard(keys.pending)),
        // Bounded like every request-path call (the queue lives on its own connection).
        deps.redis.run(keys.meta, () => deps.queue.getJobCounts('waiting', 'active', 'delayed', 'failed')),
      ]);
      return {
        id,
        totalStock: c.totalStock,
        remaining: c.remaining,
        claimed: c.claimed,
        persisted,
        pending,
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
