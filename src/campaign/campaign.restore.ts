import type { CampaignsRepo } from '../db/campaigns.repo.ts';
import type { Logger } from '../shared/logger.ts';

const ABSENT_CACHE_MS = 1_000;
const CACHE_MAX = 10_000;
/** One restore attempt per campaign per instance at most this often; callers get 503 in between. */
const RESTORE_RETRY_MS = 2_000;

export interface CampaignRestorerDeps {
  campaigns: CampaignsRepo;
  log: Logger;
  /** Restores a campaign into Redis from Postgres (the reconciler's rebuild, under its lock). */
  restore: (campaignId: string) => Promise<unknown>;
  now?: () => number;
}

/**
 * Handles "Redis does not know this campaign" (or holds it off for a rebuild). Postgres decides: unknown
 * there too means 404, cached briefly so a flood of requests for a bogus id is not a flood of queries.
 * Known means Redis lost it (a restart of a Redis that keeps nothing, an eviction, a flush): the campaign
 * is restored in the background, without an operator, while callers get 503.
 */
export function createCampaignRestorer(deps: CampaignRestorerDeps) {
  const now = deps.now ?? Date.now;
  const absentUntil = new Map<string, number>();
  const attemptedAt = new Map<string, number>();
  // Single flight per campaign: a burst of requests for a lost campaign shares one lookup and one restore.
  const inFlight = new Map<string, Promise<boolean>>();
  const restoring = new Map<string, Promise<void>>();

  const startRestore = (campaignId: string) => {
    if (attemptedAt.size >= CACHE_MAX) attemptedAt.clear();
    attemptedAt.set(campaignId, now());
    const run = deps
      .restore(campaignId)
      .then(() => deps.log.info('campaign restored into redis', { campaignId }))
      .catch((err: unknown) => deps.log.warn('restoring campaign into redis failed', { campaignId, err }))
      .finally(() => restoring.delete(campaignId));
    restoring.set(campaignId, run);
  };

  const lookUp = async (campaignId: string): Promise<boolean> => {
    if (!(await deps.campaigns.find(campaignId))) {
      if (absentUntil.size >= CACHE_MAX) absentUntil.clear();
      absentUntil.set(campaignId, now() + ABSENT_CACHE_MS);
      return false;
    }
    if (!restoring.has(campaignId)) startRestore(campaignId);
    return true;
  };

  return {
    /**
     * Starts restoring the campaign into Redis when Postgres knows it, and says whether it does: true
     * (answer 503, it is coming back), false (it does not exist: 404).
     */
    async restoreIfKnown(campaignId: string): Promise<boolean> {
      const until = absentUntil.get(campaignId);
      if (until !== undefined && until > now()) return false;
      if (restoring.has(campaignId)) return true;
      const last = attemptedAt.get(campaignId);
      if (last !== undefined && now() - last < RESTORE_RETRY_MS) return true;
      let lookup = inFlight.get(campaignId);
      if (!lookup) {
        lookup = lookUp(campaignId).finally(() => inFlight.delete(campaignId));
        inFlight.set(campaignId, lookup);
      }
      return lookup;
    },
    /** Forgets a cached "absent" verdict (after the campaign is created). */
    noteCreated(campaignId: string) {
      absentUntil.delete(campaignId);
    },
    /** Waits for restores in flight (tests, shutdown). */
    async settle() {
      await Promise.allSettled([...restoring.values()]);
    },
  };
}

export type CampaignRestorer = ReturnType<typeof createCampaignRestorer>;
