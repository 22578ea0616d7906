import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ClaimsRepo } from '../db/claims.repo.ts';
import type { CampaignDefinition } from '../domain/campaign.ts';
import { type Claim, claimPlace, seqIn } from '../domain/claim.ts';
import type { PersistJob } from '../queue/persist.queue.ts';
import type { CampaignKeys } from '../redis/keys.ts';
import { scripts } from '../redis/scripts/index.ts';
import type { ServerRun } from '../redis/server-run.ts';
import type { Logger } from '../shared/logger.ts';
import { gatherClaims } from './rebuild-gather.ts';
import { writeClaims } from './rebuild-write.ts';

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

/**
 * After a rebuild the sequence continues this far above anything known, so a claim of the lost history
 * that surfaces late (from an instance's enqueue buffer, say) never shares a number with a new one.
 */
export const SEQ_GAP = 1_000_000;

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

  const gathered = await gatherClaims(deps, def.id, target);
  const { kept, dropped, givenBack, counts } = gathered;
  await writeClaims(deps, keys, gathered);
  const soldHere = kept.filter((c) => claimPlace(c).bucket === keys.bucket);
  // Above the sales this bucket made and the holds it placed for sales elsewhere.
  const highest = kept.reduce(
    (max, c) => Math.max(max, seqIn(c, keys.bucket)),
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
