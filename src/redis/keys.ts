/**
 * Every Redis key name is built here. All keys of one campaign share the hash tag `{c:<id>}`, so each
 * script touches a single slot and the layout runs unchanged on Redis Cluster.
 */
export interface CampaignKeys {
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
  /** hash: claimId -> why Postgres refused to store it (reported by the reconciler) */
  readonly refused: string;
  /** hash: the reconciler's bookkeeping (where its incremental scans continue) */
  readonly reconcile: string;
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

const cache = new Map<string, CampaignKeys>();
const CACHE_MAX = 10_000;

/** The key names of one campaign (built once per campaign and prefix, then reused). */
export function campaignKeys(prefix: string, campaignId: string): CampaignKeys {
  const cacheKey = `${prefix}\0${campaignId}`;
  let keys = cache.get(cacheKey);
  if (!keys) {
    if (cache.size >= CACHE_MAX) cache.clear();
    keys = buildKeys(prefix, campaignId);
    cache.set(cacheKey, keys);
  }
  return keys;
}

function buildKeys(prefix: string, campaignId: string): CampaignKeys {
  const base = `${prefix}:${campaignTag(campaignId)}`;
  return {
    meta: `${base}:meta`,
    users: `${base}:users`,
    claims: `${base}:claims`,
    pending: `${base}:pending`,
    journal: `${base}:journal`,
    refused: `${base}:refused`,
    reconcile: `${base}:reconcile`,
    // Length-prefixing the user id keeps (user "a:b", key "c") apart from (user "a", key "b:c").
    idem: (userId, key) => `${base}:idem:${userId.length}:${userId}:${key}`,
    userRate: (userId) => `${base}:rate:u:${userId}`,
    addressRate: (address) => `${base}:rate:a:${address}`,
  };
}

/** Pattern matching every key of every campaign under a prefix (for SCAN; not a hot path). */
export function allCampaignKeysPattern(prefix: string): string {
  return `${prefix}:{c:*}:*`;
}

/** Pub/sub channel announcing that a campaign's definition or stock changed (payload: its id). */
export function campaignChangedChannel(prefix: string): string {
  return `${prefix}:campaign-changed`;
}

/** BullMQ prefix: a hash tag of its own so the queue's keys share one slot on a cluster. */
export function queuePrefix(prefix: string): string {
  return `{${prefix}-q}`;
}
