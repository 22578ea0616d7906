import type { ClaimOutcome } from '../domain/claim.ts';
import { campaignKeys } from '../redis/keys.ts';
import type { RedisRouter } from '../redis/router.ts';
import { scripts } from '../redis/scripts/index.ts';
import type { SoldOutSnapshot } from '../redis/scripts/reads.ts';
import type { Logger } from '../shared/logger.ts';

interface Snapshot extends SoldOutSnapshot {
  until: number;
}

/**
 * Most of a flash sale's traffic arrives after the last coupon is gone. Once an instance learns that a
 * campaign is sold out, it loads the campaign's final state in one read (window, pause flag, limit, and
 * every winner with their claim ids) and answers further claims itself, with the same precedence as
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
  log: Logger;
  now?: () => number;
}): SoldOutCache {
  const now = deps.now ?? Date.now;
  const snapshots = new Map<string, Snapshot>();
  const loading = new Set<string>();
  // Bumped by every invalidation: a snapshot read before one is not installed after it.
  let generation = 0;

  const load = async (campaignId: string, gen: number) => {
    const keys = campaignKeys(deps.keyPrefix, campaignId);
    const snapshot = await deps.redis.run(keys.meta, (r) =>
      scripts.soldOutSnapshot(r, keys, deps.maxWinners),
    );
    if (snapshot === null || gen !== generation) return;
    snapshots.set(campaignId, { ...snapshot, until: now() + deps.ttlMs });
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
