import type { Queue } from 'bullmq';
import type { CampaignsRepo } from '../db/campaigns.repo.ts';
import type { ClaimsRepo } from '../db/claims.repo.ts';
import type { RedisGate } from '../redis/gate.ts';
import { campaignKeys } from '../redis/keys.ts';
import { AppError, UnavailableError } from '../shared/errors.ts';
import { viaPostgres } from '../shared/infra-errors.ts';
import type { CampaignLoader } from './campaign.loader.ts';
import {
  type CampaignState,
  campaignState,
  type LiveCampaign,
  liveFields,
  parseLiveCampaign,
} from './campaign.ts';
import { type AdminCampaign, adminView } from './campaign.view.ts';

export interface PublicCampaign {
  id: string;
  name: string;
  startsAt: string;
  endsAt: string;
  state: CampaignState;
  totalStock: number;
  remaining: number;
  perUserLimit: number;
}

export interface CampaignServiceDeps {
  redis: RedisGate;
  keyPrefix: string;
  campaigns: CampaignsRepo;
  claims: ClaimsRepo;
  loader: CampaignLoader;
  queue: Queue;
  now?: () => number;
}

const notFound = (id: string) => new AppError('campaign_not_found', `campaign ${id} does not exist`);

export function createCampaignService(deps: CampaignServiceDeps) {
  const now = deps.now ?? Date.now;

  /** The live copy from Redis; a campaign Postgres has but Redis lost answers 503 while it is restored. */
  const live = async (id: string): Promise<LiveCampaign> => {
    const values = await deps.redis.run((r) => r.hmget(campaignKeys(deps.keyPrefix, id).meta, ...liveFields));
    const campaign = parseLiveCampaign(id, values);
    if (campaign && !campaign.rebuilding) return campaign;
    if (campaign?.rebuilding || (await deps.loader.campaignMissing(id))) {
      throw new UnavailableError('redis');
    }
    throw notFound(id);
  };

  return {
    live,

    async publicView(id: string): Promise<PublicCampaign> {
      const c = await live(id);
      return {
        id: c.id,
        name: c.name,
        startsAt: new Date(c.startsAt).toISOString(),
        endsAt: new Date(c.endsAt).toISOString(),
        state: campaignState(c, now()),
        totalStock: c.totalStock,
        remaining: c.remaining,
        perUserLimit: c.perUserLimit,
      };
    },

    async get(id: string): Promise<AdminCampaign> {
      const row = await viaPostgres(deps.campaigns.find(id));
      if (!row) throw notFound(id);
      return adminView(row);
    },

    async list(): Promise<AdminCampaign[]> {
      return (await viaPostgres(deps.campaigns.list())).map(adminView);
    },

    async stats(id: string) {
      const c = await live(id);
      const [persisted, pending, counts] = await Promise.all([
        viaPostgres(deps.claims.countByCampaign(id)),
        deps.redis.run((r) => r.zcard(campaignKeys(deps.keyPrefix, id).pending)),
        deps.redis.run(() => deps.queue.getJobCounts('waiting', 'active', 'delayed', 'failed')),
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

export type CampaignService = ReturnType<typeof createCampaignService>;
