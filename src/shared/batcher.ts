/**
 * Collects groups of items and hands them to `flush` in batches of up to `maxItems` (groups are never
 * split) or after `maxWaitMs`, whichever comes first. Each add() resolves or rejects with the flush that
 * carried its group, so callers keep per-item success and retry semantics while the I/O is shared.
 */
export interface Batcher<T> {
  add(items: readonly T[]): Promise<void>;
  /** Flushes what is buffered and waits for every flush in flight. */
  drain(): Promise<void>;
  readonly buffered: number;
}

interface Group<T> {
  items: readonly T[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function createBatcher<T>(opts: {
  maxItems: number;
  maxWaitMs: number;
  flush: (items: T[]) => Promise<void>;
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
        for (const g of taken) g.resolve();
      },
      (err: unknown) => {
        for (const g of taken) g.reject(err);
      },
    );
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  };

  return {
    add(items) {
      if (items.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        groups.push({ items, resolve, reject });
        count += items.length;
        if (count >= opts.maxItems) flushNow();
        else if (!timer) timer = setTimeout(flushNow, opts.maxWaitMs);
      });
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
