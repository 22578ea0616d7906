import type { Redis } from 'ioredis';
import type { RedisGate } from '../redis/gate.ts';
import { campaignKeys } from '../redis/keys.ts';
import type { Logger } from '../shared/logger.ts';
import type { ClaimOutcome } from './claim.ts';

interface Snapshot {
  startsAt: number;
  endsAt: number;
  paused: boolean;
  perUserLimit: number;
  winners: Map<string, string>;
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
  redis: RedisGate;
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
    const reply = await deps.redis.run((r: Redis) =>
      r.fsSoldOutSnapshot(keys.meta, keys.users, deps.maxWinners),
    );
    if (reply[0] === -1 || gen !== generation) return;
    const winners = new Map<string, string>();
    for (let i = 4; i + 1 < reply.length; i += 2) winners.set(String(reply[i]), String(reply[i + 1]));
    snapshots.set(campaignId, {
      startsAt: Number(reply[0]),
      endsAt: Number(reply[1]),
      paused: reply[2] === '1',
      perUserLimit: Number(reply[3]),
      winners,
      until: now() + deps.ttlMs,
    });
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
      const ids = s.winners.get(userId);
      if (ids !== undefined) {
        const claimIds = ids.split(',');
        if (claimIds.length >= s.perUserLimit) return { kind: 'limit_reached', claimIds };
      }
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
