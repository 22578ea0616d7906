import type { Claim } from '../domain/claim.ts';
import { decodeClaimRecord } from '../redis/records/claim-record.ts';
import type { PassContext } from './context.ts';

/**
 * Hands acknowledged claims that never reached Postgres back to the queue (I4) and re-stamps them as
 * pending, so the next pass leaves them to their job for another grace period. Claims Postgres would
 * refuse anyway (their coupon or their (user, ordinal) is taken by another row) are reported instead (I5).
 */
export async function requeue(ctx: PassContext, ids: string[], why: string): Promise<void> {
  if (ids.length === 0) return;
  const { deps, keys } = ctx;
  const claims: Claim[] = [];
  for (const raw of await deps.redis.hmget(keys.claims, ...ids)) if (raw) claims.push(decodeClaimRecord(raw));
  const refused = await deps.repos.claims.conflicting(claims);
  const sendable = claims.filter((c) => !refused.has(c.id));
  if (sendable.length > 0) {
    await deps.producer.enqueue(sendable, `r-${ctx.tag}`);
    const stamp = String(deps.now());
    await deps.redis.zadd(keys.pending, ...sendable.flatMap((c) => [stamp, c.id]));
    ctx.repairs.requeued += sendable.length;
    ctx.violations.push({
      invariant: 'I4',
      message: `${sendable.length} acknowledged claims ${why}; requeued`,
      values: { claimIds: sendable.slice(0, 50).map((c) => c.id) },
      repaired: true,
    });
  }
  if (refused.size > 0) {
    ctx.violations.push({
      invariant: 'I5',
      message: `${refused.size} claims conflict with other rows in Postgres (same coupon, or same user and ordinal)`,
      values: { claimIds: [...refused].slice(0, 50), campaignId: ctx.id },
      repaired: false,
    });
  }
}
