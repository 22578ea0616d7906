import type { Queue } from 'bullmq';
import { type Claim, claimPlace } from '../domain/claim.ts';
import { type PersistJob, persistJobSchema } from '../queue/persist.queue.ts';
import { decodeClaimRecord } from '../redis/records/claim-record.ts';
import type { RebuildDeps, RebuildTarget } from './rebuild.ts';

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

/** Every acknowledged claim a rebuild of one bucket keeps, and where each came from. */
export interface Gathered {
  kept: Claim[];
  /** Claims dropped because another claim holds the same (user, ordinal): the first one wins. */
  dropped: string[];
  persistedIds: Set<string>;
  queuedIds: Set<string>;
  givenBack: { claim: Claim; expired: boolean }[];
  counts: { fromPostgres: number; fromQueue: number; fromRedis: number };
}

/**
 * Gathers every claim the bucket holds something of (those it sold, and those of users homed here) that
 * was acknowledged and can still be found: the rows in Postgres, the claims still travelling in persist
 * jobs, the pending records that survived in Redis (here, and in the other buckets); given-back units
 * are claims no more.
 */
export async function gatherClaims(
  deps: RebuildDeps,
  campaignId: string,
  target: RebuildTarget,
): Promise<Gathered> {
  const { keys } = target;
  const mine = (c: Claim) => {
    const place = claimPlace(c);
    return place.bucket === keys.bucket || place.home === keys.bucket;
  };
  const [persisted, queued, surviving, elsewhere, givenBack] = await Promise.all([
    deps.claims.allForCampaign(campaignId).then((all) => all.filter(mine)),
    queuedClaims(deps.queue, campaignId).then((all) => all.filter(mine)),
    deps.redis.hvals(keys.claims),
    keys.buckets > 1 ? target.elsewhere().then((all) => all.filter(mine)) : Promise.resolve([]),
    deps.claims.givenBackForCampaign(campaignId).then((all) => all.filter((g) => mine(g.claim))),
  ]);
  deps.log.info('rebuild: claims gathered', {
    campaignId,
    postgres: persisted.length,
    queued: queued.length,
    redis: surviving.length,
  });
  const persistedIds = new Set(persisted.map((c) => c.id));
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
  // Given back in Postgres: not claims any more, whatever Redis or the queue still say of them.
  for (const g of givenBack) byId.delete(g.claim.id);
  const { kept, dropped } = keepOnePerSlot([...byId.values()], persistedIds);
  return { kept, dropped, persistedIds, queuedIds: new Set(queued.map((c) => c.id)), givenBack, counts };
}
