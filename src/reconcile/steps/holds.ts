import type { Claim } from '../../domain/claim.ts';
import { decodeClaimRecord } from '../../redis/records/claim-record.ts';
import { scripts } from '../../redis/scripts/index.ts';
import type { PassContext } from '../context.ts';

const SCAN_COUNT = 500;
const PER_PASS = 5_000;

interface HoldRecord {
  userId: string;
  deadline: number;
  idempotencyKey?: string;
}

/** The claim a hold stood for, if another bucket sold it: pending there, or already in Postgres. */
async function soldClaim(ctx: PassContext, claimId: string): Promise<Claim | null> {
  for (const keys of ctx.allKeys) {
    if (keys.bucket === ctx.keys.bucket) continue;
    const raw = await ctx.deps.redis.nodeFor(keys.meta).background.hget(keys.claims, claimId);
    if (raw) return decodeClaimRecord(raw);
  }
  const [stored] = await ctx.deps.repos.claims.byIds([claimId]);
  return stored ? { ...stored, buckets: ctx.keys.buckets } : null;
}

/**
 * Step 8: holds at the users' home bucket still there well past their deadline: the instance selling the
 * claim in another bucket died (or lost Redis) between the steps. No bucket sells a hold's claim after its
 * deadline, so whatever sold it has, by now, and the hold is settled from that: confirmed (the user's
 * entry becomes the claim) when a bucket sold it, released (the user's place given back) when none did.
 * The margin past the deadline absorbs clock differences between the masters.
 */
export async function resolveHolds(ctx: PassContext): Promise<void> {
  const { keys, deps } = ctx;
  if (keys.buckets === 1 || (await ctx.redis.hlen(keys.holds)) === 0) return;
  const [seconds, micros] = await ctx.redis.time();
  const cutoff = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - Math.max(deps.graceMs, 1_000);
  const confirmed: string[] = [];
  const released: string[] = [];
  let cursor = '0';
  let seen = 0;
  do {
    const [next, fields] = await ctx.redis.hscan(keys.holds, cursor, 'COUNT', SCAN_COUNT);
    cursor = next;
    seen += fields.length / 2;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const claimId = fields[i]!;
      const hold = JSON.parse(fields[i + 1]!) as HoldRecord;
      if (hold.deadline > cutoff) continue;
      const claim = await soldClaim(ctx, claimId);
      if (claim) {
        await scripts.confirmHold(ctx.redis, keys, claim, deps.idempotencyTtlSeconds);
        confirmed.push(claimId);
      } else {
        await scripts.releaseHold(ctx.redis, keys, { ...hold, claimId });
        released.push(claimId);
      }
    }
  } while (cursor !== '0' && seen < PER_PASS);
  const n = confirmed.length + released.length;
  if (n === 0) return;
  ctx.repairs.holdsResolved += n;
  ctx.violations.push({
    invariant: 'holds',
    message: `${n} holds outlived their deadline: ${confirmed.length} confirmed, ${released.length} released`,
    values: { confirmed: confirmed.slice(0, 50), released: released.slice(0, 50) },
    repaired: true,
  });
}
