import type { Redis } from 'ioredis';
import type { CampaignsRepo } from '../db/campaigns.repo.ts';
import type { Campaign } from '../domain/campaign.ts';
import type { Claim } from '../domain/claim.ts';
import { allBucketKeys, type CampaignKeys } from '../redis/keys.ts';
import { decodeClaimRecord } from '../redis/records/claim-record.ts';
import type { RedisRouter } from '../redis/router.ts';

export interface PendingDeps {
  redis: RedisRouter;
  keyPrefix: string;
  campaigns: Pick<CampaignsRepo, 'byCodePrefix' | 'find'>;
}

/** A claim acknowledged but not yet in Postgres, found in Redis. */
export interface PendingClaim {
  claim: Claim;
  campaign: Campaign;
}

type IdIn = (r: Redis, keys: CampaignKeys) => Promise<string | null>;

async function recordIn(deps: PendingDeps, campaign: Campaign, idIn: IdIn) {
  for (const keys of allBucketKeys(deps.keyPrefix, campaign.id, campaign.buckets)) {
    const raw = await deps.redis.run(keys.meta, async (r) => {
      const id = await idIn(r, keys);
      return id ? r.hget(keys.claims, id) : null;
    });
    if (raw) return decodeClaimRecord(raw);
  }
  return null;
}

/**
 * A pending coupon by its code: the code's first group names the campaign (a hash of its id; Postgres
 * knows which campaigns have it), and each bucket of the campaign indexes its pending codes.
 */
export async function pendingByCode(deps: PendingDeps, code: string): Promise<PendingClaim | null> {
  const groups = code.split('-');
  if (groups.length !== 5) return null; // a code made before campaigns had a prefix group
  for (const campaign of await deps.campaigns.byCodePrefix(groups[0]!)) {
    const claim = await recordIn(deps, campaign, (r, keys) => r.hget(keys.codes, code));
    if (claim?.couponCode === code) return { claim, campaign };
  }
  return null;
}

/** A pending claim of a campaign by its id (in whichever bucket sold it). */
export async function pendingById(
  deps: PendingDeps,
  campaignId: string,
  claimId: string,
): Promise<PendingClaim | null> {
  const campaign = await deps.campaigns.find(campaignId);
  if (!campaign) return null;
  const claim = await recordIn(deps, campaign, async () => claimId);
  return claim ? { claim, campaign } : null;
}
