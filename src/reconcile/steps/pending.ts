import type { PassContext } from '../context.ts';
import { requeue } from '../requeue.ts';

/** Step 5: pending claims past the grace period: those in Postgres are marked, the others requeued (I4). */
export async function settlePending(ctx: PassContext): Promise<void> {
  const { deps, keys } = ctx;
  const stale = await deps.redis.zrangebyscore(keys.pending, '-inf', `(${deps.now() - deps.graceMs}`);
  if (stale.length === 0) return;
  const inPostgres = await deps.repos.claims.existing(stale);
  const done = stale.filter((c) => inPostgres.has(c));
  if (done.length > 0) {
    await deps.redis.zrem(keys.pending, ...done);
    ctx.repairs.markedPersisted = done.length;
  }
  await requeue(
    ctx,
    stale.filter((c) => !inPostgres.has(c)),
    'had not reached Postgres after the grace period',
  );
}
