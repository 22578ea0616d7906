import type { Redis } from 'ioredis';
import type { CampaignsRepo } from '../db/campaigns.repo.ts';
import type { ClaimsRepo } from '../db/claims.repo.ts';
import type { RedisGate } from '../redis/gate.ts';
import { campaignKeys } from '../redis/keys.ts';
import { viaPostgres } from '../shared/infra-errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { CampaignDefinition } from './campaign.ts';

const ABSENT_CACHE_MS = 1_000;
const ABSENT_CACHE_MAX = 10_000;

export interface CampaignLoaderDeps {
  redis: RedisGate;
  keyPrefix: string;
  campaigns: CampaignsRepo;
  claims: ClaimsRepo;
  log: Logger;
  /** Restores a campaign that has claims in Postgres but is gone from Redis (the reconciler's rebuild). */
  rebuild?: (campaignId: string) => Promise<void>;
}

/** Writes a fresh campaign's definition into Redis with full stock; a no-op when it is already there. */
export async function initCampaignInRedis(
  redis: Redis,
  keyPrefix: string,
  def: CampaignDefinition,
): Promise<boolean> {
  const loaded = await redis.fsInitCampaign(
    campaignKeys(keyPrefix, def.id).meta,
    def.totalStock,
    def.perUserLimit,
    def.startsAt.getTime(),
    def.endsAt.getTime(),
    def.paused ? '1' : '0',
    def.version,
    def.name,
  );
  return loaded === 1;
}

/**
 * Handles "Redis does not know this campaign". Postgres decides: unknown there too means 404 (cached
 * briefly, so a flood of requests for a bogus id does not become a flood of queries); known means Redis
 * lost it, and the campaign is restored in the background while callers get 503.
 */
export function createCampaignLoader(deps: CampaignLoaderDeps) {
  const absentUntil = new Map<string, number>();
  const restoring = new Map<string, Promise<void>>();

  const restore = async (def: CampaignDefinition) => {
    const persisted = await viaPostgres(deps.claims.countByCampaign(def.id));
    if (persisted === 0) {
      await deps.redis.run((r) => initCampaignInRedis(r, deps.keyPrefix, def));
      deps.log.info('campaign loaded into redis from postgres', { campaignId: def.id });
    } else if (deps.rebuild) {
      await deps.rebuild(def.id);
    } else {
      deps.log.warn('campaign with claims is missing from redis; waiting for the reconciler', {
        campaignId: def.id,
      });
    }
  };

  return {
    async campaignMissing(campaignId: string): Promise<boolean> {
      const until = absentUntil.get(campaignId);
      if (until !== undefined && until > Date.now()) return false;
      const row = await viaPostgres(deps.campaigns.find(campaignId));
      if (!row) {
        if (absentUntil.size >= ABSENT_CACHE_MAX) absentUntil.clear();
        absentUntil.set(campaignId, Date.now() + ABSENT_CACHE_MS);
        return false;
      }
      if (!restoring.has(campaignId)) {
        const run = restore(row)
          .catch((err: unknown) => deps.log.warn('restoring campaign into redis failed', { campaignId, err }))
          .finally(() => restoring.delete(campaignId));
        restoring.set(campaignId, run);
      }
      return true;
    },
    /** Forget a cached "absent" verdict (after a campaign is created). */
    forget(campaignId: string) {
      absentUntil.delete(campaignId);
    },
    /** Waits for restores in flight (tests, shutdown). */
    async settle() {
      await Promise.allSettled([...restoring.values()]);
    },
  };
}

export type CampaignLoader = ReturnType<typeof createCampaignLoader>;
