import { describe, expect, it } from 'vitest';
import { createBatcher } from './batcher.ts';

describe('createBatcher', () => {
  it('flushes at maxItems without waiting, never splitting a group', async () => {
    const flushed: number[][] = [];
    const b = createBatcher<number>({
      maxItems: 3,
      maxWaitMs: 10_000,
      flush: async (xs) => void flushed.push(xs),
    });
    await Promise.all([b.add([1, 2]), b.add([3, 4])]);
    expect(flushed).toEqual([[1, 2, 3, 4]]);
  });

  it('flushes after maxWaitMs when the batch stays small', async () => {
    const flushed: number[][] = [];
    const b = createBatcher<number>({
      maxItems: 100,
      maxWaitMs: 5,
      flush: async (xs) => void flushed.push(xs),
    });
    await b.add([1]);
    expect(flushed).toEqual([[1]]);
  });

  it('rejects every add carried by a failed flush, and only those', async () => {
    let calls = 0;
    const b = createBatcher<number>({
      maxItems: 2,
      maxWaitMs: 5,
      flush: async () => {
        if (++calls === 1) throw new Error('boom');
      },
    });
    const first = Promise.allSettled([b.add([1]), b.add([2])]);
    const second = b.add([3]);
    expect((await first).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(second).resolves.toBeUndefined();
  });

  it('drain flushes the buffer and waits for flushes in flight', async () => {
    const flushed: number[] = [];
    const b = createBatcher<number>({
      maxItems: 100,
      maxWaitMs: 60_000,
      flush: async (xs) => {
        await new Promise((r) => setTimeout(r, 20));
        flushed.push(...xs);
      },
    });
    void b.add([7]);
    expect(b.buffered).toBe(1);
    await b.drain();
    expect(flushed).toEqual([7]);
  });
});

describe('push', () => {
  it('batches like add, and reports a failed flush of pushed items once, with the items', async () => {
    const failures: number[][] = [];
    const b = createBatcher<number>({
      maxItems: 3,
      maxWaitMs: 5,
      flush: async () => {
        throw new Error('down');
      },
      onError: (_err, items) => void failures.push(items),
    });
    b.push(1);
    b.push(2);
    b.push(3);
    await b.drain();
    expect(failures).toEqual([[1, 2, 3]]);
  });
});
