import { decodeClaimRecord } from '../../redis/records/claim-record.ts';
import { scripts } from '../../redis/scripts/index.ts';
import type { PassContext } from '../context.ts';
import { requeue } from '../requeue.ts';

/** Pending claims one pass settles (each pass a slice: commands stay short however large the backlog). */
const PER_PASS = 5_000;

/** Step 5: pending claims past the grace period: those in Postgres are marked, the others requeued (I4). */
export async function settlePending(ctx: PassContext): Promise<void> {
  const { deps, keys } = ctx;
  const stale = await ctx.redis.zrangebyscore(
    keys.pending,
    '-inf',
    `(${deps.now() - deps.graceMs}`,
    'LIMIT',
    0,
    PER_PASS,
  );
  if (stale.length === 0) return;
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const foreign = stale.filter((id) => !UUID.test(id));
  if (foreign.length > 0) {
    // Not a claim id the service made: a member written behind its back, reported rather than queried.
    ctx.violations.push({
      invariant: 'I4',
      message: `${foreign.length} pending entries are not claim ids`,
      values: { entries: foreign.slice(0, 20) },
      repaired: false,
    });
  }
  const ids = stale.filter((id) => UUID.test(id));
  const inPostgres = await deps.repos.claims.existing(ids);
  const done = ids.filter((c) => inPostgres.has(c));
  if (done.length > 0) {
    // As the worker would have: records, pending entries and code index entries go.
    const records = (await ctx.redis.hmget(keys.claims, ...done)).flatMap((r) =>
      r ? [decodeClaimRecord(r)] : [],
    );
    await ctx.redis.zrem(keys.pending, ...done);
    if (records.length > 0) await scripts.markPersisted(ctx.redis, keys, records);
    ctx.repairs.markedPersisted = done.length;
  }
  await requeue(
    ctx,
    ids.filter((c) => !inPostgres.has(c)),
    'had not reached Postgres after the grace period',
  );
}
