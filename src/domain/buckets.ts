/**
 * Stock buckets: a hot campaign's stock split over N buckets (1 to 64), each under a hash tag of its own
 * so that, on a cluster, the buckets spread over the masters. Free of I/O: how stock is split and which
 * bucket is a user's home. A user's home bucket holds their claim ids (so the per-user limit is decided
 * in one place); their claims are sold from the home bucket while it has stock, and from another bucket
 * (a "donor") once it is empty, with a hold on the home side keeping the limit exact.
 */
export const MAX_BUCKETS = 64;

/** Bucket b's share of `total` units over n buckets: equal shares, the first ones one larger. */
export function bucketShare(total: number, n: number, b: number): number {
  return Math.floor(total / n) + (b < total % n ? 1 : 0);
}

/** FNV-1a over the user id's UTF-16 units: cheap, stable across processes and versions. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The bucket that holds a user's claim ids (and where their claims are sold first). */
export function homeBucket(userId: string, n: number): number {
  return n <= 1 ? 0 : fnv1a(userId) % n;
}

/**
 * How a positive stock change is spread: equal parts, the remainder on the buckets after the last one
 * that got it, so repeated small additions do not all land on bucket 0.
 */
export function spreadAddition(delta: number, n: number, offset = 0): number[] {
  return Array.from({ length: n }, (_, b) => bucketShare(delta, n, (b - offset + n) % n));
}

/**
 * How a removal is taken from buckets that still have stock: the fullest first, so the buckets stay even.
 * Returns null when they hold fewer than `amount` units together.
 */
export function planRemoval(amount: number, remaining: readonly number[]): number[] | null {
  const total = remaining.reduce((a, b) => a + b, 0);
  if (total < amount) return null;
  const parts = remaining.map(() => 0);
  const left = [...remaining];
  let todo = amount;
  while (todo > 0) {
    // Level the fullest buckets down together: take from the fullest until it meets the next one.
    const max = Math.max(...left);
    const fullest = left.flatMap((v, b) => (v === max ? [b] : []));
    const next = Math.max(0, ...left.filter((v) => v < max));
    const perBucket = Math.min(max - next, Math.ceil(todo / fullest.length));
    for (const b of fullest) {
      const take = Math.min(perBucket, todo);
      parts[b]! += take;
      left[b]! -= take;
      todo -= take;
      if (todo === 0) break;
    }
  }
  return parts;
}
