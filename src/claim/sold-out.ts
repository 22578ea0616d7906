import type { ClaimOutcome } from '../domain/claim.ts';
import { allBucketKeys, type CampaignKeys } from '../redis/keys.ts';
import { parseClaimIds } from '../redis/records/claim-ids.ts';
import type { RedisRouter } from '../redis/router.ts';
import { scripts } from '../redis/scripts/index.ts';
import type { SoldOutState } from '../redis/scripts/reads.ts';
import type { Logger } from '../shared/logger.ts';

interface Snapshot {
  startsAt: number;
  endsAt: number;
  paused: boolean;
  perUserLimit: number;
  /** userId -> that winner's claim ids */
  winners: Map<string, string[]>;
  until: number;
}

const SCAN_COUNT = 1_000;

/** A bucket's winners, in short HSCAN steps. */
async function scanWinners(redis: RedisRouter, keys: CampaignKeys, into: Map<string, string[]>) {
  let cursor = '0';
  do {
    const [next, fields] = await redis.run(keys.meta, (r) =>
      r.hscan(keys.users, cursor, 'COUNT', SCAN_COUNT),
    );
    cursor = next;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const ids = parseClaimIds(fields[i + 1]);
      if (ids.length > 0) into.set(fields[i]!, ids);
    }
  } while (cursor !== '0');
}

/** The same final state twice (before and after the scan): nothing was sold and nothing held between. */
const unchanged = (before: (SoldOutState | null)[], after: (SoldOutState | null)[]) =>
  before.every(
    (b, i) => b !== null && b.holds === 0 && after[i]?.claimed === b.claimed && after[i]?.holds === 0,
  );

/**
 * Most of a flash sale's traffic arrives after the last coupon is gone. Once an instance learns that a
 * campaign is sold out, it loads the campaign's final state (window, pause flag, limit, and every winner
 * with their claim ids, from every bucket: one short read per bucket, then the winners in HSCAN steps,
 * then the short read again to make sure nothing was sold or held meanwhile) and answers further claims
 * itself, with the same precedence as
 * lua/claim.lua: ended, then paused, then 409 already_claimed (listing the user's claim ids) for a
 * winner, then 410 sold_out. Requests with an Idempotency-Key still go to Redis for their replay.
 *
 * A sold-out campaign's winners are final until its stock or definition changes; every such change is
 * announced on a pub/sub channel and drops the snapshot on every instance. A snapshot also expires after
 * `ttlMs`, and a lost subscription drops them all, so a missed announcement cannot linger.
 */
export interface SoldOutCache {
  check(campaignId: string, userId: string): ClaimOutcome | undefined;
  noteSoldOut(campaignId: string): void;
  invalidate(campaignId?: string): void;
}

export function createSoldOutCache(deps: {
  redis: RedisRouter;
  keyPrefix: string;
  ttlMs: number;
  maxWinners: number;
  /** How many buckets a campaign has. */
  bucketsOf: (campaignId: string) => number;
  log: Logger;
  now?: () => number;
}): SoldOutCache {
  const now = deps.now ?? Date.now;
  const snapshots = new Map<string, Snapshot>();
  const loading = new Set<string>();
  // Bumped by every invalidation: a snapshot read before one is not installed after it.
  let generation = 0;

  const states = (buckets: CampaignKeys[]) =>
    Promise.all(buckets.map((keys) => deps.redis.run(keys.meta, (r) => scripts.soldOutState(r, keys))));

  const load = async (campaignId: string, gen: number) => {
    const buckets = allBucketKeys(deps.keyPrefix, campaignId, deps.bucketsOf(campaignId));
    const before = await states(buckets);
    const first = before[0];
    if (!first || before.some((s) => s === null || s.holds > 0)) return;
    if (before.reduce((n, s) => n + (s?.winners ?? 0), 0) > deps.maxWinners) return;
    const winners = new Map<string, string[]>();
    for (const keys of buckets) await scanWinners(deps.redis, keys, winners);
    if (!unchanged(before, await states(buckets)) || gen !== generation) return;
    const { startsAt, endsAt, paused, perUserLimit } = first;
    snapshots.set(campaignId, { startsAt, endsAt, paused, perUserLimit, winners, until: now() + deps.ttlMs });
  };

  return {
    check(campaignId, userId) {
      const s = snapshots.get(campaignId);
      if (!s) return undefined;
      const t = now();
      if (t >= s.until) {
        snapshots.delete(campaignId);
        return undefined;
      }
      if (t < s.startsAt) return { kind: 'not_active', reason: 'not_started' };
      if (t >= s.endsAt) return { kind: 'not_active', reason: 'ended' };
      if (s.paused) return { kind: 'not_active', reason: 'paused' };
      const claimIds = s.winners.get(userId);
      if (claimIds !== undefined && claimIds.length >= s.perUserLimit)
        return { kind: 'limit_reached', claimIds };
      return { kind: 'sold_out' };
    },
    noteSoldOut(campaignId) {
      if (deps.ttlMs <= 0 || snapshots.has(campaignId) || loading.has(campaignId)) return;
      loading.add(campaignId);
      load(campaignId, generation)
        .catch((err: unknown) => deps.log.debug('sold-out snapshot not loaded', { campaignId, err }))
        .finally(() => loading.delete(campaignId));
    },
    invalidate(campaignId) {
      generation++;
      if (campaignId === undefined) snapshots.clear();
      else snapshots.delete(campaignId);
    },
  };
}
