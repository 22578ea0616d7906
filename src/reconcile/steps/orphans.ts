import { decodeClaimRecord } from '../../redis/records/claim-record.ts';
import { scripts } from '../../redis/scripts/index.ts';
import type { PassContext } from '../context.ts';
import { requeue } from '../requeue.ts';

const SCAN_COUNT = 1_000;

/**
 * Step 6: claim records neither pending nor refused (their pending entry was lost: a crash between two
 * writes the product never splits, or a hand-made change): requeued unless Postgres has them (I4).
 * Records live only while a claim is pending, so the scan is as long as the pending set.
 */
export async function recoverOrphans(ctx: PassContext): Promise<void> {
  const { deps, keys } = ctx;
  const records = await ctx.redis.hlen(keys.claims);
  const [pending, refused] = await Promise.all([ctx.redis.zcard(keys.pending), ctx.redis.hlen(keys.refused)]);
  if (records <= pending + refused) return;
  const candidates: string[] = [];
  let cursor = '0';
  do {
    const [next, fields] = await ctx.redis.hscan(keys.claims, cursor, 'COUNT', SCAN_COUNT);
    cursor = next;
    const ids = fields.filter((_, i) => i % 2 === 0);
    if (ids.length === 0) continue;
    const [scores, filed] = await Promise.all([
      ctx.redis.zmscore(keys.pending, ...ids),
      ctx.redis.hmget(keys.refused, ...ids),
    ]);
    ids.forEach((id, i) => {
      if (scores[i] === null && filed[i] === null) candidates.push(id);
    });
  } while (cursor !== '0');
  if (candidates.length === 0) return;
  const stored = await deps.repos.claims.existing(candidates);
  const done = candidates.filter((c) => stored.has(c));
  if (done.length > 0) {
    const stale = (await ctx.redis.hmget(keys.claims, ...done)).flatMap((r) =>
      r ? [decodeClaimRecord(r)] : [],
    );
    if (stale.length > 0) await scripts.markPersisted(ctx.redis, keys, stale);
  }
  await requeue(
    ctx,
    candidates.filter((c) => !stored.has(c)),
    'were neither pending nor in Postgres',
  );
}
