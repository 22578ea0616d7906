import { describe, expect, it } from 'vitest';
import type { RedisRouter } from '../redis/router.ts';
import { createLogger } from '../shared/logger.ts';
import { createOutcomeTally, outcomeOf } from './outcomes.ts';

/** A router whose one connection adds HINCRBYs to a map, or fails while `down`. */
function fakeRedis() {
  const sums = new Map<string, number>();
  const state = { down: false, sums };
  const client = {
    multi() {
      const ops: [string, string, number][] = [];
      const tx = {
        hincrby: (key: string, field: string, by: number) => void ops.push([key, field, by]),
        expire: () => tx,
        exec: async () => {
          for (const [key, field, by] of ops)
            sums.set(`${key} ${field}`, (sums.get(`${key} ${field}`) ?? 0) + by);
        },
      };
      return tx;
    },
  };
  const redis = {
    run: async (_key: string, call: (r: unknown) => Promise<unknown>) => {
      if (state.down) throw new Error('redis is down');
      return call(client);
    },
  } as unknown as RedisRouter;
  return { redis, state };
}

describe('claim outcome tally', () => {
  it('maps answers to outcomes; malformed, unauthenticated and unknown-campaign answers are not counted', () => {
    expect([201, 200, 410, 409, 403, 429, 503].map(outcomeOf)).toEqual([
      'claimed',
      'replayed',
      'sold_out',
      'already_claimed',
      'not_active',
      'rate_limited',
      'unavailable',
    ]);
    expect([400, 401, 404, 413, 500].map(outcomeOf)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('adds its counts to Redis once, and keeps them for the next flush when Redis is away', async () => {
    const { redis, state } = fakeRedis();
    const tally = createOutcomeTally({ redis, keyPrefix: 'p', log: createLogger('silent') });
    tally.count('c1', 'claimed');
    tally.count('c1', 'claimed');
    tally.count('c1', 'sold_out');
    state.down = true;
    await tally.flush();
    expect(state.sums.size).toBe(0);
    state.down = false;
    tally.count('c1', 'claimed');
    await tally.flush();
    await tally.flush();
    expect(Object.fromEntries(state.sums)).toEqual({
      'p:{c:c1}:outcomes claimed': 3,
      'p:{c:c1}:outcomes sold_out': 1,
    });
  });
});
