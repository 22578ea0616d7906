import { hashSlot, SLOTS } from './slot.ts';

/**
 * Every Redis key name is built here. All keys of one campaign share the hash tag `{c:<id>}`, so each
 * script touches a single slot and the layout runs unchanged on Redis Cluster. A campaign with several
 * stock buckets has one such key set per bucket: bucket 0 under `{c:<id>}`, bucket b under a tag of its
 * own (see bucketTag), each a complete campaign shard that the same scripts run on.
 */
export interface CampaignKeys {
  readonly campaignId: string;
  /** Which bucket of the campaign these keys belong to, and of how many. */
  readonly bucket: number;
  readonly buckets: number;
  /** hash: definition (name, totalStock, perUserLimit, startsAt, endsAt, paused, version) and counters (remaining, claimed) */
  readonly meta: string;
  /** hash: userId -> comma-separated ids of that user's claims */
  readonly users: string;
  /** hash: claimId -> claim record (JSON), while the claim is not yet in Postgres */
  readonly claims: string;
  /** sorted set: claimId scored by claimedAt (ms), for claims not yet confirmed in Postgres */
  readonly pending: string;
  /** hash: stock adjustment id -> journal entry (JSON) of a stock change applied in Redis */
  readonly journal: string;
  /** hash (bucket 0): operator adjustment id -> how a change is spread over the buckets (JSON) */
  readonly stockPlans: string;
  /** hash: claimId -> why Postgres refused to store it (reported by the reconciler) */
  readonly refused: string;
  /** hash: the reconciler's bookkeeping (where its incremental scans continue) */
  readonly reconcile: string;
  /** hash: claimId -> hold (JSON) of a claim being sold from another bucket for a user homed here */
  readonly holds: string;
  /** hash: coupon code -> claim id, for claims still pending (the order system's lookup by code) */
  readonly codes: string;
  /** set: ids of claims whose unit went back to stock here (a return is applied once) */
  readonly returned: string;
  /** hash: claimId -> gift-pack reservation (JSON: deadline, pack claim id, the claim it would become) */
  readonly reservations: string;
  /** string key holding the claim record an Idempotency-Key of a user produced */
  idem(userId: string, key: string): string;
  /** hash: a user's sliding window of claim attempts on this campaign (rate limit) */
  userRate(userId: string): string;
  /** hash: a client address' sliding window of claim attempts on this campaign (rate limit) */
  addressRate(address: string): string;
}

export function campaignTag(campaignId: string): string {
  return `{c:${campaignId}}`;
}

/**
 * Bucket b's hash tag (b >= 1): `{c:<id>/<b>.<salt>}` with the first salt that puts it in the right arc of
 * the slot ring. The ring is cut into n equal arcs counted from slot 0; bucket 0 (the campaign's own tag)
 * falls in one of them, and bucket b takes the b-th arc after it. A cluster splits the slots into
 * contiguous ranges, by default equal ones from slot 0, so with n a multiple of the number of masters
 * every master gets n / masters buckets, and otherwise the buckets still spread as far as the ranges
 * allow. The choice depends only on (id, b, n), so every process finds the same tags without storing them.
 */
export function bucketTag(campaignId: string, b: number, n: number): string {
  if (b === 0) return campaignTag(campaignId);
  const arcOf = (slot: number) => Math.floor((slot * n) / SLOTS);
  const arc = (arcOf(hashSlot(campaignTag(campaignId))) + b) % n;
  for (let salt = 0; ; salt++) {
    const tag = `{c:${campaignId}/${b}.${salt}}`;
    if (arcOf(hashSlot(tag)) === arc) return tag;
  }
}

const cache = new Map<string, CampaignKeys>();
const CACHE_MAX = 10_000;

/**
 * The key names of one campaign's bucket (bucket 0 of 1 unless told: a campaign without buckets), built
 * once per campaign, bucket and prefix, then reused.
 */
export function campaignKeys(prefix: string, campaignId: string, bucket = 0, buckets = 1): CampaignKeys {
  const cacheKey = `${prefix}\0${campaignId}\0${bucket}\0${buckets}`;
  let keys = cache.get(cacheKey);
  if (!keys) {
    if (cache.size >= CACHE_MAX) cache.clear();
    keys = buildKeys(prefix, campaignId, bucket, buckets);
    cache.set(cacheKey, keys);
  }
  return keys;
}

/** Every bucket's keys of a campaign, bucket 0 first. */
export function allBucketKeys(prefix: string, campaignId: string, buckets: number): CampaignKeys[] {
  return Array.from({ length: buckets }, (_, b) => campaignKeys(prefix, campaignId, b, buckets));
}

function buildKeys(prefix: string, campaignId: string, bucket: number, buckets: number): CampaignKeys {
  const base = `${prefix}:${bucketTag(campaignId, bucket, buckets)}`;
  return {
    campaignId,
    bucket,
    buckets,
    meta: `${base}:meta`,
    users: `${base}:users`,
    claims: `${base}:claims`,
    pending: `${base}:pending`,
    journal: `${base}:journal`,
    stockPlans: `${base}:stock-plans`,
    refused: `${base}:refused`,
    reconcile: `${base}:reconcile`,
    holds: `${base}:holds`,
    codes: `${base}:codes`,
    returned: `${base}:returned`,
    reservations: `${base}:reservations`,
    // Length-prefixing the user id keeps (user "a:b", key "c") apart from (user "a", key "b:c").
    idem: (userId, key) => `${base}:idem:${userId.length}:${userId}:${key}`,
    userRate: (userId) => `${base}:rate:u:${userId}`,
    addressRate: (address) => `${base}:rate:a:${address}`,
  };
}

/**
 * hash: claim outcome -> count, summed from every instance's tally (the dashboard's outcome mix). Beside
 * bucket 0's keys, outside CampaignKeys: no script reads it, and a rebuild leaves it alone.
 */
export function outcomesKey(prefix: string, campaignId: string): string {
  return `${prefix}:${campaignTag(campaignId)}:outcomes`;
}

/** Pattern matching every key of every campaign under a prefix (for SCAN; not a hot path). */
export function allCampaignKeysPattern(prefix: string): string {
  return `${prefix}:{c:*}:*`;
}

/** Pub/sub channel announcing that a campaign's definition or stock changed (payload: its id). */
export function campaignChangedChannel(prefix: string): string {
  return `${prefix}:campaign-changed`;
}

/**
 * A press of a gift pack (its pack claim id): the decision record, commit or abort, set once, under a tag
 * of its own (the pack's campaigns are on other slots). Whoever sets it first decides.
 */
export function bundleDecisionKey(prefix: string, bundleClaimId: string): string {
  return `${prefix}:{p:${bundleClaimId}}:decision`;
}

/** The pack claim id an Idempotency-Key of a user produced on a gift pack. */
export function bundleIdemKey(prefix: string, bundleId: string, userId: string, key: string): string {
  return `${prefix}:{p:${bundleId}:${userId.length}:${userId}}:idem:${key}`;
}

/** BullMQ prefix: a hash tag of its own so the queue's keys share one slot on a cluster. */
export function queuePrefix(prefix: string): string {
  return `{${prefix}-q}`;
}
