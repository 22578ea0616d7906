/**
 * What an instance knows about its campaigns' buckets: how many each has (fixed at creation: learned from
 * Redis the first time a claim reaches a campaign, then kept), and which buckets it recently found empty,
 * so a claim falling through from an empty home bucket skips them. An empty flag lives `emptyMs` at most
 * and is dropped with the campaign's sold-out snapshot whenever stock or definition changes are
 * announced, so stock that comes back is seen.
 */
export interface BucketDirectory {
  count(campaignId: string): number;
  learn(campaignId: string, buckets: number): void;
  isEmpty(campaignId: string, bucket: number): boolean;
  noteEmpty(campaignId: string, bucket: number): void;
  forget(campaignId?: string): void;
}

const MAX_CAMPAIGNS = 10_000;

export function createBucketDirectory(opts: { emptyMs: number; now?: () => number }): BucketDirectory {
  const now = opts.now ?? Date.now;
  const counts = new Map<string, number>();
  const empty = new Map<string, Map<number, number>>();

  return {
    count: (campaignId) => counts.get(campaignId) ?? 1,
    learn(campaignId, buckets) {
      if (counts.size >= MAX_CAMPAIGNS) counts.clear();
      counts.set(campaignId, buckets);
    },
    isEmpty(campaignId, bucket) {
      const until = empty.get(campaignId)?.get(bucket);
      return until !== undefined && until > now();
    },
    noteEmpty(campaignId, bucket) {
      if (opts.emptyMs <= 0) return;
      let flags = empty.get(campaignId);
      if (!flags) {
        if (empty.size >= MAX_CAMPAIGNS) empty.clear();
        flags = new Map();
        empty.set(campaignId, flags);
      }
      flags.set(bucket, now() + opts.emptyMs);
    },
    forget(campaignId) {
      if (campaignId === undefined) empty.clear();
      else empty.delete(campaignId);
    },
  };
}
