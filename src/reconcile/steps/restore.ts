import { type Claim, seqIn } from '../../domain/claim.ts';
import { decodeMeta, META_FIELDS } from '../../redis/records/campaign-meta.ts';
import { decodeClaimRecord } from '../../redis/records/claim-record.ts';
import { scripts } from '../../redis/scripts/index.ts';
import type { PassContext } from '../context.ts';
import { rebuildCampaign } from '../rebuild.ts';
import { queuedClaims } from '../rebuild-gather.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The highest place in the bucket's sequence that Postgres or the queue know of. */
async function knownSeq(ctx: PassContext): Promise<number> {
  const b = ctx.keys.bucket;
  const [persisted, queued] = await Promise.all([
    ctx.deps.repos.claims.maxSeq(ctx.id, b),
    queuedClaims(ctx.deps.queue, ctx.id),
  ]);
  return queued.reduce((max, c) => Math.max(max, seqIn(c, b)), persisted);
}

/** Pending records of the campaign's other buckets (a rebuilt bucket's users may have claims there). */
async function pendingElsewhere(ctx: PassContext): Promise<Claim[]> {
  const others = ctx.allKeys.filter((k) => k.bucket !== ctx.keys.bucket);
  const raws = await Promise.all(
    others.map((k) => ctx.deps.redis.nodeFor(k.meta).background.hvals(k.claims)),
  );
  return raws.flat().map(decodeClaimRecord);
}

/**
 * The fence: the server's run changed since the campaign was verified (a restart, a promoted replica, a
 * restored snapshot). Claims are held off meanwhile (the script refuses an unverified run). After the
 * settle pause, for enqueues under way to land, Redis' sequence is compared with what Postgres and the
 * queue know: complete, it sells again on this run; behind, it is rebuilt. Returns why it must be rebuilt.
 */
async function verifyNewRun(ctx: PassContext, runId: string): Promise<string | null> {
  await sleep(ctx.deps.settleMs);
  const known = await knownSeq(ctx);
  const result = await scripts.verifyFence(ctx.redis, ctx.keys, runId, known);
  switch (result.kind) {
    case 'verified':
    case 'already_verified':
      ctx.repairs.verifiedRun = result.kind === 'verified';
      return null;
    case 'behind':
      return `Redis came back behind Postgres on a new server run (sequence ${result.seq} < ${known})`;
    case 'not_loaded':
      return 'the campaign was missing from Redis';
    case 'rebuilding':
      return 'a rebuild had been interrupted';
  }
}

/**
 * Step 1: is Redis' copy one to sell from? Rebuilt when Redis lost the campaign, a rebuild was cut short,
 * or Redis is behind Postgres (it lost writes: its sequence is below what Postgres holds); verified again
 * when the server it lives on changed run.
 */
export async function restoreLostState(ctx: PassContext): Promise<void> {
  const { deps, keys } = ctx;
  // Postgres first: Redis' sequence only grows, so a sequence Postgres held before Redis' was read can
  // be above it only if Redis is behind (read the other way round, claims committed in between would
  // make a healthy campaign look behind).
  const persistedSeq = await deps.repos.claims.maxSeq(ctx.id, keys.bucket);
  const runId = await ctx.serverRun.known();
  const live = decodeMeta(ctx.id, await ctx.redis.hmget(keys.meta, ...META_FIELDS));
  ctx.live = live;
  let why: string | null = null;
  if (!live) why = 'the campaign was missing from Redis';
  else if (live.rebuilding) why = 'a rebuild had been interrupted';
  else if (persistedSeq > live.seq)
    why = `Redis was behind Postgres (sequence ${live.seq} < ${persistedSeq})`;
  else if (live.run !== runId) why = await verifyNewRun(ctx, runId);
  if (!why) return;

  const totalStock =
    keys.buckets === 1
      ? ctx.campaign.totalStock
      : ((await deps.repos.changes.bucketTotals(ctx.tx, ctx.id, ctx.campaign.totalStock, keys.buckets))[
          keys.bucket
        ] ?? 0);
  const result = await rebuildCampaign(
    {
      ...deps,
      redis: ctx.redis,
      serverRun: ctx.serverRun,
      claims: deps.repos.claims,
      markReturned: deps.repos.coupons.markReturned,
    },
    ctx.campaign,
    { keys, totalStock, elsewhere: () => pendingElsewhere(ctx) },
  );
  ctx.repairs.rebuilt = true;
  ctx.violations.push({
    invariant: 'redis_state',
    message: why,
    values: { rebuild: result },
    repaired: true,
  });
  if (result.dropped.length > 0) {
    ctx.violations.push({
      invariant: 'I3',
      message: `${result.dropped.length} claims collided on (user, ordinal) and were left out`,
      values: { dropped: result.dropped.slice(0, 50) },
      repaired: false,
    });
  }
}
