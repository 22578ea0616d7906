/**
 * Collects groups of items and hands them to `flush` in batches of up to `maxItems` (groups are never
 * split) or after `maxWaitMs`, whichever comes first. Each add() resolves or rejects with the flush that
 * carried its group, so callers keep per-item success and retry semantics while the I/O is shared.
 */
export interface Batcher<T> {
  add(items: readonly T[]): Promise<void>;
  /** Like add, without a promise per call: a failed flush goes to `onError` (the hot path's choice). */
  push(item: T): void;
  /** Flushes what is buffered and waits for every flush in flight. */
  drain(): Promise<void>;
  readonly buffered: number;
}

interface Group<T> {
  items: readonly T[];
  resolve?: () => void;
  reject?: (err: unknown) => void;
}

export function createBatcher<T>(opts: {
  maxItems: number;
  maxWaitMs: number;
  flush: (items: T[]) => Promise<void>;
  /** Where a failed flush of pushed items is reported. */
  onError?: (err: unknown, items: T[]) => void;
}): Batcher<T> {
  let groups: Group<T>[] = [];
  let count = 0;
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();

  const flushNow = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (groups.length === 0) return;
    const taken = groups;
    groups = [];
    count = 0;
    const items = taken.length === 1 ? [...taken[0]!.items] : taken.flatMap((g) => g.items);
    const run = opts.flush(items).then(
      () => {
        for (const g of taken) g.resolve?.();
      },
      (err: unknown) => {
        const pushed: T[] = [];
        for (const g of taken) {
          if (g.reject) g.reject(err);
          else pushed.push(...g.items);
        }
        if (pushed.length > 0) opts.onError?.(err, pushed);
      },
    );
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  };

  const enqueue = (group: Group<T>) => {
    groups.push(group);
    count += group.items.length;
    if (count >= opts.maxItems) flushNow();
    else if (!timer) timer = setTimeout(flushNow, opts.maxWaitMs);
  };

  return {
    push(item) {
      enqueue({ items: [item] });
    },
    add(items) {
      if (items.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => enqueue({ items, resolve, reject }));
    },
    async drain() {
      flushNow();
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    get buffered() {
      return count;
    },
  };
}
