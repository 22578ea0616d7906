import type { Claim } from '../domain/claim.ts';
import { isSafeText } from '../domain/identity.ts';
import { decodeClaimRecord } from '../redis/records/claim-record.ts';
import { scripts } from '../redis/scripts/index.ts';
import type { PassContext } from './context.ts';

/** A claim Postgres can store at all (a record written before identities were checked may not be). */
const storable = (c: Claim) =>
  isSafeText(c.userId) && (c.idempotencyKey === undefined || isSafeText(c.idempotencyKey));

/**
 * Hands acknowledged claims that never reached Postgres back to the queue (I4) and re-stamps them as
 * pending, so the next pass leaves them to their job for another grace period. Claims Postgres would
 * refuse anyway (their coupon or their (user, ordinal) is taken by another row) are reported instead (I5).
 */
export async function requeue(ctx: PassContext, ids: string[], why: string): Promise<void> {
  if (ids.length === 0) return;
  const { deps, keys } = ctx;
  const all: Claim[] = [];
  for (const raw of await ctx.redis.hmget(keys.claims, ...ids)) if (raw) all.push(decodeClaimRecord(raw));
  // One poisoned claim must not stop the pass, nor anyone else's claims: it is filed as refused.
  const invalid = all.filter((c) => !storable(c));
  if (invalid.length > 0) {
    await scripts.markPersisted(
      ctx.redis,
      keys,
      [],
      invalid.map((c) => ({ id: c.id, reason: 'invalid' })),
    );
  }
  const claims = all.filter(storable);
  const refused = await deps.repos.claims.conflicting(claims);
  const sendable = claims.filter((c) => !refused.has(c.id));
  if (sendable.length > 0) {
    await deps.producer.enqueue(sendable, `r-${ctx.tag}`);
    const stamp = String(deps.now());
    await ctx.redis.zadd(keys.pending, ...sendable.flatMap((c) => [stamp, c.id]));
    ctx.repairs.requeued += sendable.length;
    deps.log.warn(`acknowledged claims ${why}; requeued`, {
      campaignId: ctx.id,
      claimIds: sendable.slice(0, 20).map((c) => c.id),
      requestIds: sendable.flatMap((c) => (c.requestId ? [c.requestId] : [])).slice(0, 20),
    });
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
