import type { PassContext } from '../context.ts';
import { requeue } from '../requeue.ts';

/** Step 6: claim records neither pending nor in Postgres: acknowledged and dropped somewhere (I4). */
export async function recoverOrphans(ctx: PassContext): Promise<void> {
  const { deps, keys } = ctx;
  const [all, pending] = await Promise.all([
    deps.redis.hkeys(keys.claims),
    deps.redis.zrange(keys.pending, '0', '-1'),
  ]);
  const pendingIds = new Set(pending);
  const candidates = all.filter((c) => !pendingIds.has(c) && !ctx.persistedIds.has(c));
  if (candidates.length === 0) return;
  const stored = await deps.repos.claims.existing(candidates);
  await requeue(
    ctx,
    candidates.filter((c) => !stored.has(c)),
    'were neither pending nor in Postgres',
  );
}
