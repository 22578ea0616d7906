import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ClaimsRepo } from '../db/claims.repo.ts';
import type { CampaignDefinition } from '../domain/campaign.ts';
import { type Claim, claimPlace } from '../domain/claim.ts';
import { type PersistJob, persistJobSchema } from '../queue/persist.queue.ts';
import type { CampaignKeys } from '../redis/keys.ts';
import { joinClaimEntries } from '../redis/records/claim-ids.ts';
import { decodeClaimRecord, encodeClaimRecord } from '../redis/records/claim-record.ts';
import { scripts } from '../redis/scripts/index.ts';
import type { ServerRun } from '../redis/server-run.ts';
import type { Logger } from '../shared/logger.ts';

export interface RebuildDeps {
  redis: Redis;
  serverRun: ServerRun;
  keyPrefix: string;
  claims: ClaimsRepo;
  queue: Queue<PersistJob>;
  idempotencyTtlSeconds: number;
  log: Logger;
  /** How long to let enqueues already under way land in the queue before reading it. */
  settleMs: number;
  /** Longest a hold waits for another bucket (with buckets, the settle pause lasts at least this). */
  holdMs: number;
  /** Records in Postgres that Redis has these given-back units back. */
  markReturned: (ids: string[]) => Promise<void>;
  now: () => number;
}

/** The bucket to rebuild, its total stock as Postgres records it, and the pending records of the others. */
export interface RebuildTarget {
  keys: CampaignKeys;
  totalStock: number;
  elsewhere: () => Promise<Claim[]>;
}

export interface RebuildResult {
  claims: number;
  fromPostgres: number;
  fromQueue: number;
  fromRedis: number;
  /** Claims dropped because another claim holds the same (user, ordinal): the first one wins. */
  dropped: string[];
  claimed: number;
  remaining: number;
  /** Where the sequence continues: above every sequence number known anywhere, by SEQ_GAP. */
  seq: number;
}

const CHUNK = 1_000;
/**
 * After a rebuild the sequence continues this far above anything known, so a claim of the lost history
 * that surfaces late (from an instance's enqueue buffer, say) never shares a number with a new one.
 */
export const SEQ_GAP = 1_000_000;

/** Claims still travelling in persist jobs (acknowledged, not yet in Postgres) for one campaign. */
export async function queuedClaims(queue: Queue<PersistJob>, campaignId: string): Promise<Claim[]> {
  const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'failed']);
  const out: Claim[] = [];
  for (const job of jobs) {
    const parsed = persistJobSchema.safeParse(job?.data);
    if (!parsed.success) continue;
    for (const c of parsed.data.claims) if (c.campaignId === campaignId) out.push(c);
  }
  return out;
}

/** One claim per (user, ordinal): Postgres rows come first, then the earliest claim. */
function keepOnePerSlot(all: Claim[], persistedIds: Set<string>): { kept: Claim[]; dropped: string[] } {
  const ordered = [...all].sort(
    (a, b) => Number(persistedIds.has(b.id)) - Number(persistedIds.has(a.id)) || a.claimedAt - b.claimedAt,
  );
  const slots = new Set<string>();
  const kept: Claim[] = [];
  const dropped: string[] = [];
  for (const c of ordered) {
    const slot = `${c.userId}\0${c.ordinal}`;
    if (slots.has(slot)) dropped.push(c.id);
    else {
      slots.add(slot);
      kept.push(c);
    }
  }
  return { kept, dropped };
}

/**
 * Writes what the gate needs, in chunks: the users hash (users homed in this bucket, with every claim of
 * theirs, whichever bucket sold it), and the records, pending entries and idempotency keys of those not
 * yet in Postgres (records and pending entries only for claims this bucket sold).
 */
async function writeClaims(
  deps: RebuildDeps,
  keys: CampaignKeys,
  kept: Claim[],
  persistedIds: Set<string>,
  queuedIds: Set<string>,
  givenBack: { claim: Claim; expired: boolean }[],
): Promise<void> {
  const { redis } = deps;
  await redis.unlink(
    keys.users,
    keys.claims,
    keys.pending,
    keys.refused,
    keys.holds,
    keys.codes,
    keys.returned,
    keys.reservations,
  );
  // Units already given back are never given back again; an expired coupon still counts for its user.
  const returned = givenBack.filter((g) => claimPlace(g.claim).bucket === keys.bucket).map((g) => g.claim.id);
  for (let i = 0; i < returned.length; i += CHUNK)
    await redis.sadd(keys.returned, ...returned.slice(i, i + CHUNK));
  const entriesOnly = givenBack.filter((g) => g.expired && claimPlace(g.claim).home === keys.bucket);
  const now = deps.now();
  const users = new Map<string, Claim[]>();
  for (let i = 0; i < kept.length; i += CHUNK) {
    const pipe = redis.pipeline();
    for (const c of kept.slice(i, i + CHUNK)) {
      const record = encodeClaimRecord(c);
      const place = claimPlace(c);
      if (place.home !== keys.bucket) {
        // Sold here for a user homed elsewhere: only its record, while pending.
        if (!persistedIds.has(c.id)) {
          pipe.hset(keys.claims, c.id, record);
          pipe.hset(keys.codes, c.couponCode, c.id);
          pipe.zadd(keys.pending, queuedIds.has(c.id) ? now : c.claimedAt, c.id);
        }
        continue;
      }
      if (!persistedIds.has(c.id) && place.bucket === keys.bucket) {
        pipe.hset(keys.claims, c.id, record);
        pipe.hset(keys.codes, c.couponCode, c.id);
        // Queued ones are in flight (scored now, so the reconciler leaves them to their job); survivors
        // may have lost their job (scored at their claim time).
        pipe.zadd(keys.pending, queuedIds.has(c.id) ? now : c.claimedAt, c.id);
      }
      const ttl = Math.floor((c.claimedAt + deps.idempotencyTtlSeconds * 1000 - now) / 1000);
      if (c.idempotencyKey && ttl > 0) pipe.set(keys.idem(c.userId, c.idempotencyKey), record, 'EX', ttl);
      const list = users.get(c.userId);
      if (list) list.push(c);
      else users.set(c.userId, [c]);
    }
    await pipe.exec();
  }
  for (const { claim } of entriesOnly) {
    const list = users.get(claim.userId);
    if (list) list.push(claim);
    else users.set(claim.userId, [claim]);
  }
  const entries = [...users];
  for (let i = 0; i < entries.length; i += CHUNK) {
    const fields: string[] = [];
    for (const [user, list] of entries.slice(i, i + CHUNK)) {
      const sorted = list.sort((a, b) => a.ordinal - b.ordinal);
      fields.push(
        user,
        joinClaimEntries(
          sorted.map((c) => {
            const { bucket } = claimPlace(c);
            return bucket === keys.bucket ? { id: c.id } : { id: c.id, bucket };
          }),
        ),
      );
    }
    await redis.hset(keys.users, ...fields);
  }
}

/**
 * Rebuilds a campaign's Redis state after Redis lost some or all of it, or came back behind Postgres.
 * Claims are held off first (503), then every claim that was acknowledged and can still be found is
 * gathered: the rows in Postgres, the claims still travelling in persist jobs, and whatever pending
 * records survived in Redis. Leaving out the queued ones would let the campaign sell their coupons a
 * second time once they reach Postgres. The caller holds the campaign's reconcile lock and its row.
 */
export async function rebuildCampaign(
  deps: RebuildDeps,
  def: CampaignDefinition,
  target: RebuildTarget,
): Promise<RebuildResult> {
  const { redis } = deps;
  const { keys } = target;
  // Which claims this bucket holds something of: those it sold, and those of users homed here.
  const mine = (c: Claim) => {
    const place = claimPlace(c);
    return place.bucket === keys.bucket || place.home === keys.bucket;
  };
  // The run the rebuild works on: should the server restart meanwhile, the stamp at the end names the old
  // run, and the campaign stays fenced instead of selling from half-written state.
  const runId = await deps.serverRun.known();
  const before = Number((await redis.hget(keys.meta, 'seq')) ?? 0);
  await scripts.beginRebuild(redis, keys, deps.now());
  deps.log.info('rebuild: claims held off', { campaignId: def.id, bucket: keys.bucket });
  // With buckets, a hold placed here before the hold-off may still be sold by another bucket until its
  // deadline: wait past it, so that sale is among the claims gathered.
  const settle = keys.buckets > 1 ? Math.max(deps.settleMs, deps.holdMs + 1_000) : deps.settleMs;
  await new Promise((r) => setTimeout(r, settle));

  const [persisted, queued, surviving, elsewhere, givenBack] = await Promise.all([
    deps.claims.allForCampaign(def.id).then((all) => all.filter(mine)),
    queuedClaims(deps.queue, def.id).then((all) => all.filter(mine)),
    redis.hvals(keys.claims),
    keys.buckets > 1 ? target.elsewhere().then((all) => all.filter(mine)) : Promise.resolve([]),
    deps.claims.givenBackForCampaign(def.id).then((all) => all.filter((g) => mine(g.claim))),
  ]);
  // Given back in Postgres: not claims any more, whatever Redis or the queue still say of them.
  const gone = new Set(givenBack.map((g) => g.claim.id));
  deps.log.info('rebuild: claims gathered', {
    campaignId: def.id,
    postgres: persisted.length,
    queued: queued.length,
    redis: surviving.length,
  });
  const persistedIds = new Set(persisted.map((c) => c.id));
  const queuedIds = new Set(queued.map((c) => c.id));
  const byId = new Map<string, Claim>();
  const counts = { fromPostgres: 0, fromQueue: 0, fromRedis: 0 };
  const add = (c: Claim, source: keyof typeof counts) => {
    if (byId.has(c.id)) return;
    byId.set(c.id, c);
    counts[source]++;
  };
  for (const c of persisted) add(c, 'fromPostgres');
  for (const c of queued) add(c, 'fromQueue');
  for (const raw of surviving) add(decodeClaimRecord(raw), 'fromRedis');
  for (const c of elsewhere) add(c, 'fromRedis');
  for (const id of gone) byId.delete(id);

  const { kept, dropped } = keepOnePerSlot([...byId.values()], persistedIds);
  await writeClaims(deps, keys, kept, persistedIds, queuedIds, givenBack);
  const soldHere = kept.filter((c) => claimPlace(c).bucket === keys.bucket);
  // Above the sales this bucket made and the holds it placed for sales elsewhere.
  const highest = kept.reduce(
    (max, c) => {
      const place = claimPlace(c);
      const own = place.bucket === keys.bucket ? c.seq : 0;
      const hold = place.home === keys.bucket && place.bucket !== keys.bucket ? (c.homeSeq ?? 0) : 0;
      return Math.max(max, own, hold);
    },
    givenBack.reduce((max, g) => Math.max(max, g.claim.seq), before),
  );
  const seq = highest + SEQ_GAP;
  const { claimed, remaining } = await scripts.finishRebuild(redis, keys, def, {
    totalStock: target.totalStock,
    claimed: soldHere.length,
    seq,
    runId,
  });
  // Redis now has every unit given back until now: nothing is left for the reconciler to return.
  await deps.markReturned(
    givenBack.filter((g) => claimPlace(g.claim).bucket === keys.bucket).map((g) => g.claim.id),
  );
  deps.log.info('rebuild: campaign open again', {
    campaignId: def.id,
    bucket: keys.bucket,
    claimed,
    remaining,
    dropped: dropped.length,
  });
  return { claims: kept.length, ...counts, dropped, claimed, remaining, seq };
}
