import type { Claim } from '../domain/claim.ts';
import { claimPlace } from '../domain/claim.ts';
import type { CampaignKeys } from '../redis/keys.ts';
import { joinClaimEntries } from '../redis/records/claim-ids.ts';
import { encodeClaimRecord } from '../redis/records/claim-record.ts';
import type { RebuildDeps } from './rebuild.ts';
import type { Gathered } from './rebuild-gather.ts';

const CHUNK = 1_000;

/**
 * Writes what the gate needs, in chunks: the users hash (users homed in this bucket, with every claim of
 * theirs, whichever bucket sold it, and the expired coupons that still count for them), the records,
 * codes and pending entries of the claims this bucket sold that are not yet in Postgres, the
 * idempotency keys of its users' claims, and the units already given back (never given back again).
 */
export async function writeClaims(deps: RebuildDeps, keys: CampaignKeys, g: Gathered): Promise<void> {
  const { redis } = deps;
  await redis.unlink(
    keys.users,
    keys.claims,
    keys.pending,
    keys.refused,
    keys.holds,
    keys.codes,
    keys.returned,
    keys.reservations,
  );
  const returned = g.givenBack
    .filter((b) => claimPlace(b.claim).bucket === keys.bucket)
    .map((b) => b.claim.id);
  for (let i = 0; i < returned.length; i += CHUNK)
    await redis.sadd(keys.returned, ...returned.slice(i, i + CHUNK));

  const now = deps.now();
  const users = new Map<string, Claim[]>();
  const entryOf = (c: Claim) => {
    const list = users.get(c.userId);
    if (list) list.push(c);
    else users.set(c.userId, [c]);
  };
  for (let i = 0; i < g.kept.length; i += CHUNK) {
    const pipe = redis.pipeline();
    for (const c of g.kept.slice(i, i + CHUNK)) {
      const record = encodeClaimRecord(c);
      const place = claimPlace(c);
      if (place.bucket === keys.bucket && !g.persistedIds.has(c.id)) {
        pipe.hset(keys.claims, c.id, record);
        pipe.hset(keys.codes, c.couponCode, c.id);
        // Queued ones are in flight (scored now, so the reconciler leaves them to their job); survivors
        // may have lost their job (scored at their claim time).
        pipe.zadd(keys.pending, g.queuedIds.has(c.id) ? now : c.claimedAt, c.id);
      }
      // Sold here for a user homed elsewhere: only its record, while pending.
      if (place.home !== keys.bucket) continue;
      const ttl = Math.floor((c.claimedAt + deps.idempotencyTtlSeconds * 1000 - now) / 1000);
      if (c.idempotencyKey && ttl > 0) pipe.set(keys.idem(c.userId, c.idempotencyKey), record, 'EX', ttl);
      entryOf(c);
    }
    await pipe.exec();
  }
  for (const b of g.givenBack) if (b.expired && claimPlace(b.claim).home === keys.bucket) entryOf(b.claim);

  const entries = [...users];
  for (let i = 0; i < entries.length; i += CHUNK) {
    const fields = entries.slice(i, i + CHUNK).flatMap(([user, list]) => [
      user,
      joinClaimEntries(
        list
          .sort((a, b) => a.ordinal - b.ordinal)
          .map((c) => {
            const { bucket } = claimPlace(c);
            return bucket === keys.bucket ? { id: c.id } : { id: c.id, bucket };
          }),
      ),
    ]);
    await redis.hset(keys.users, ...fields);
  }
}
