import type { Cluster, Redis, Result } from 'ioredis';
import type { Claim } from '../../domain/claim.ts';
import type { CampaignKeys } from '../keys.ts';
import { parseClaimIds } from '../records/claim-ids.ts';
import { decodeClaimRecord } from '../records/claim-record.ts';
import { SALE_REFUSALS } from './refusals.ts';
import { defineScript } from './source.ts';

export const reserveUnitDef = defineScript('fsReserveUnit', 'reserve_unit.lua', 3);
export const commitReservationDef = defineScript('fsCommitReservation', 'commit_reservation.lua', 6);
export const abortReservationDef = defineScript('fsAbortReservation', 'abort_reservation.lua', 3);

declare module 'ioredis' {
  interface RedisCommander<Context> {
    fsReserveUnit(
      meta: string,
      users: string,
      reservations: string,
      campaignId: string,
      userId: string,
      claimId: string,
      couponCode: string,
      runId: string,
      holdMs: number,
      bundleClaimId: string,
      requestId: string,
    ): Result<(number | string)[], Context>;
    fsCommitReservation(
      meta: string,
      users: string,
      claims: string,
      pending: string,
      codes: string,
      reservations: string,
      claimId: string,
      userId: string,
    ): Result<(number | string)[], Context>;
    fsAbortReservation(
      meta: string,
      users: string,
      reservations: string,
      claimId: string,
    ): Result<number[], Context>;
  }
}

/** One campaign's part of a press of a gift pack. */
export interface Reservation {
  campaignId: string;
  userId: string;
  claimId: string;
  couponCode: string;
  bundleClaimId: string;
  requestId?: string | undefined;
}

export type ReserveResult =
  | { kind: 'reserved'; claim: Claim }
  | { kind: 'already' }
  | { kind: 'limit_reached'; claimIds: string[] }
  | { kind: 'not_active'; reason: 'not_started' | 'ended' | 'paused' }
  | { kind: 'fenced'; verifiedRun: string }
  | { kind: 'sold_out' | 'not_found' | 'rebuilding' | 'has_buckets' };

export const RESERVE_CODES: Record<number, ReserveResult> = {
  ...SALE_REFUSALS,
  [-11]: { kind: 'has_buckets' },
};

/** lua/reserve_unit.lua: takes a unit and the user's place for `holdMs` while the pack is decided. */
export async function reserveUnit(
  r: Redis | Cluster,
  keys: CampaignKeys,
  res: Reservation,
  a: { runId: string; holdMs: number },
): Promise<ReserveResult> {
  const [code, x, y, z] = await r.fsReserveUnit(
    keys.meta,
    keys.users,
    keys.reservations,
    res.campaignId,
    res.userId,
    res.claimId,
    res.couponCode,
    a.runId,
    a.holdMs,
    res.bundleClaimId,
    res.requestId ?? '',
  );
  if (code === 1) {
    const claim: Claim = {
      id: res.claimId,
      campaignId: res.campaignId,
      userId: res.userId,
      couponCode: res.couponCode,
      ordinal: Number(x),
      claimedAt: Number(y),
      seq: Number(z),
      bundleClaimId: res.bundleClaimId,
      ...(res.requestId ? { requestId: res.requestId } : {}),
    };
    return { kind: 'reserved', claim };
  }
  if (code === 2) return { kind: 'already' };
  if (code === -5) return { kind: 'limit_reached', claimIds: parseClaimIds(String(x ?? '')) };
  if (code === -8) return { kind: 'fenced', verifiedRun: String(x ?? '') };
  const known = RESERVE_CODES[Number(code)];
  if (!known) throw new Error(`reserve_unit returned unknown code ${String(code)}`);
  return known;
}

export type CommitResult = { kind: 'committed'; claim: Claim } | { kind: 'already' | 'lost' | 'rebuilding' };

/** lua/commit_reservation.lua: the reservation becomes a pending claim (idempotent). */
export async function commitReservation(
  r: Redis | Cluster,
  keys: CampaignKeys,
  claim: { claimId: string; userId: string },
): Promise<CommitResult> {
  const [code, record] = await r.fsCommitReservation(
    keys.meta,
    keys.users,
    keys.claims,
    keys.pending,
    keys.codes,
    keys.reservations,
    claim.claimId,
    claim.userId,
  );
  if (code === 1) return { kind: 'committed', claim: decodeClaimRecord(String(record)) };
  if (code === 2) return { kind: 'already' };
  if (code === 0) return { kind: 'lost' };
  if (code === -7) return { kind: 'rebuilding' };
  throw new Error(`commit_reservation returned unknown code ${String(code)}`);
}

export type AbortResult = { kind: 'aborted'; remaining: number } | { kind: 'missing' | 'rebuilding' };

/** lua/abort_reservation.lua: the unit and the user's place go back (idempotent). */
export async function abortReservation(
  r: Redis | Cluster,
  keys: CampaignKeys,
  claimId: string,
): Promise<AbortResult> {
  const [code, remaining = 0] = await r.fsAbortReservation(keys.meta, keys.users, keys.reservations, claimId);
  if (code === 1) return { kind: 'aborted', remaining };
  if (code === 0) return { kind: 'missing' };
  if (code === -7) return { kind: 'rebuilding' };
  throw new Error(`abort_reservation returned unknown code ${String(code)}`);
}
