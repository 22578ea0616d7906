import { describe, expect, it } from 'vitest';
import { bucketTag } from './keys.ts';
import { hashSlot, SLOTS } from './slot.ts';

/** The master serving a slot on a cluster of `masters` made by `redis-cli --cluster create` (equal ranges). */
const masterOf = (slot: number, masters: number) =>
  Math.min(masters - 1, Math.floor((slot * masters) / SLOTS));

describe('bucketTag', () => {
  const ids = Array.from({ length: 500 }, (_, i) => `campaign-${i}`);

  it('spreads n buckets evenly over a default cluster whose masters divide n', () => {
    for (const [buckets, masters] of [
      [3, 3],
      [6, 3],
      [4, 2],
      [6, 6],
    ] as const) {
      for (const id of ids) {
        const perMaster = Array.from({ length: masters }, () => 0);
        for (let b = 0; b < buckets; b++)
          perMaster[masterOf(hashSlot(bucketTag(id, b, buckets)), masters)]!++;
        expect(perMaster, `${id}: ${buckets} buckets on ${masters} masters`).toEqual(
          perMaster.map(() => buckets / masters),
        );
      }
    }
  });

  it('puts every bucket of a campaign on its own slot, and is the same in every process', () => {
    for (const id of ids.slice(0, 50)) {
      const slots = Array.from({ length: 8 }, (_, b) => hashSlot(bucketTag(id, b, 8)));
      expect(new Set(slots).size).toBe(8);
      expect(bucketTag(id, 5, 8)).toBe(bucketTag(id, 5, 8));
    }
    expect(bucketTag('x', 0, 4)).toBe('{c:x}');
  });
});
