import { outcomesKey } from '../redis/keys.ts';
import type { RedisRouter } from '../redis/router.ts';
import type { Logger } from '../shared/logger.ts';

/** What a claim was answered, as the dashboard groups it. */
export const OUTCOMES = [
  'claimed',
  'replayed',
  'sold_out',
  'already_claimed',
  'not_active',
  'rate_limited',
  'unavailable',
] as const;
export type Outcome = (typeof OUTCOMES)[number];
export type OutcomeCounts = Record<Outcome, number>;

const BY_STATUS: Record<number, Outcome> = {
  201: 'claimed',
  200: 'replayed',
  410: 'sold_out',
  409: 'already_claimed',
  403: 'not_active',
  429: 'rate_limited',
  503: 'unavailable',
};

/** The outcome of a claim answer; undefined for malformed, unauthenticated or unknown-campaign ones. */
export const outcomeOf = (status: number): Outcome | undefined => BY_STATUS[status];

/** Outcome keys expire a day after their last count: a campaign id that never existed leaves nothing. */
const KEY_TTL_SECONDS = 86_400;
/** A flush writes at most this many campaigns (the rest wait for the next one). */
const FLUSH_MAX_CAMPAIGNS = 200;

export interface OutcomeTally {
  count(campaignId: string, outcome: Outcome): void;
  /** Adds this process' counts since the last flush to the shared sums in Redis. */
  flush(): Promise<void>;
  /** The sums over every instance (what has been flushed). */
  read(campaignId: string): Promise<OutcomeCounts>;
  /** Flushes every `everyMs` until closed. */
  start(everyMs: number): void;
  close(): Promise<void>;
}

const zero = (): OutcomeCounts => Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as OutcomeCounts;

/**
 * Counts claim outcomes in memory (a hot path pays one Map update) and adds them to a per-campaign hash in
 * Redis about once a second, so the dashboard sees the fleet's mix whichever instance it asks. A flush
 * that fails puts its counts back for the next one.
 */
export function createOutcomeTally(deps: {
  redis: RedisRouter;
  keyPrefix: string;
  log: Logger;
}): OutcomeTally {
  const counts = new Map<string, OutcomeCounts>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  const add = (campaignId: string, part: Partial<OutcomeCounts>) => {
    let row = counts.get(campaignId);
    if (!row) {
      row = zero();
      counts.set(campaignId, row);
    }
    for (const o of OUTCOMES) row[o] += part[o] ?? 0;
  };

  const write = async (campaignId: string, row: OutcomeCounts) => {
    const key = outcomesKey(deps.keyPrefix, campaignId);
    try {
      await deps.redis.run(key, async (r) => {
        const tx = r.multi();
        for (const o of OUTCOMES) if (row[o] > 0) tx.hincrby(key, o, row[o]);
        await tx.expire(key, KEY_TTL_SECONDS).exec();
      });
    } catch (err) {
      add(campaignId, row);
      deps.log.debug('claim outcomes not flushed; kept for the next flush', { campaignId, err });
    }
  };

  const flushNow = async () => {
    const batch = [...counts].slice(0, FLUSH_MAX_CAMPAIGNS);
    for (const [id] of batch) counts.delete(id);
    await Promise.all(batch.map(([id, row]) => write(id, row)));
  };
  // One flush at a time, in order: close() waits for the one under way and then writes the rest.
  const flush = () => {
    flushing = flushing.then(flushNow);
    return flushing;
  };

  return {
    count(campaignId, outcome) {
      add(campaignId, { [outcome]: 1 });
    },
    flush,
    async read(campaignId) {
      const key = outcomesKey(deps.keyPrefix, campaignId);
      const raw = await deps.redis.run(key, (r) => r.hgetall(key));
      const out = zero();
      for (const o of OUTCOMES) out[o] = Number(raw[o] ?? 0);
      return out;
    },
    start(everyMs) {
      timer ??= setInterval(() => void flush(), everyMs);
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await flush();
    },
  };
}
