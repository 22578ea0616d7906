import { decide } from '../../bundle/decision.ts';
import type { Claim } from '../../domain/claim.ts';
import { scripts } from '../../redis/scripts/index.ts';
import type { PassContext } from '../context.ts';

const SCAN_COUNT = 500;
const PER_PASS = 5_000;

interface ReservationRecord {
  deadline: number;
  bundleClaimId: string;
  /** The claim it would become (its record, JSON). */
  record: string;
}

/**
 * Step 8b: gift-pack reservations still there past their deadline: the instance pressing the pack died
 * (or stalled) between the phases. Each is settled by its press' decision: applied when one was
 * recorded, and when none was, "abort" is recorded first (set once: an instance that comes back late
 * finds it and gives its reservations back too), so no reservation is ever both committed and aborted.
 * The margin past the deadline absorbs clock differences between the masters.
 */
export async function settleReservations(ctx: PassContext): Promise<void> {
  const { keys, deps } = ctx;
  if ((await ctx.redis.hlen(keys.reservations)) === 0) return;
  const [seconds, micros] = await ctx.redis.time();
  const cutoff = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - Math.max(deps.graceMs, 1_000);
  const committed: Claim[] = [];
  const aborted: string[] = [];
  let cursor = '0';
  let seen = 0;
  do {
    const [next, fields] = await ctx.redis.hscan(keys.reservations, cursor, 'COUNT', SCAN_COUNT);
    cursor = next;
    seen += fields.length / 2;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const claimId = fields[i]!;
      const reservation = JSON.parse(fields[i + 1]!) as ReservationRecord;
      if (reservation.deadline > cutoff) continue;
      const decision = await decide(
        deps.redis,
        deps.keyPrefix,
        reservation.bundleClaimId,
        { state: 'abort' },
        Math.max(deps.idempotencyTtlSeconds, 3_600),
      );
      if (decision.state === 'commit') {
        const { userId } = JSON.parse(reservation.record) as { userId: string };
        const done = await scripts.commitReservation(ctx.redis, keys, { claimId, userId });
        if (done.kind === 'committed') committed.push(done.claim);
      } else {
        const done = await scripts.abortReservation(ctx.redis, keys, claimId);
        if (done.kind === 'aborted') aborted.push(claimId);
      }
    }
  } while (cursor !== '0' && seen < PER_PASS);
  const n = committed.length + aborted.length;
  if (n === 0) return;
  // Committed here, so no instance will hand them to the queue: this pass does.
  if (committed.length > 0) await deps.producer.enqueue(committed, `r-${ctx.tag}`);
  ctx.repairs.reservationsSettled += n;
  ctx.violations.push({
    invariant: 'reservations',
    message: `${n} gift-pack reservations outlived their deadline: ${committed.length} committed, ${aborted.length} given back`,
    values: { committed: committed.slice(0, 50).map((c) => c.id), aborted: aborted.slice(0, 50) },
    repaired: true,
  });
}
