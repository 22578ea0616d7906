import type { Cluster, Redis, Result } from 'ioredis';
import type { Claim } from '../../domain/claim.ts';
import type { CampaignKeys } from '../keys.ts';
import { type ClaimEntry, parseClaimEntries } from '../records/claim-ids.ts';
import { decodeClaimRecord } from '../records/claim-record.ts';
import { defineScript } from './source.ts';

export const userClaimsDef = defineScript('fsUserClaims', 'user_claims.lua', 3, true);
export const soldOutSnapshotDef = defineScript('fsSoldOutSnapshot', 'sold_out_snapshot.lua', 3, true);

declare module 'ioredis' {
  interface RedisCommander<Context> {
    fsUserClaims(
      meta: string,
      users: string,
      claims: string,
      userId: string,
      buckets: number,
    ): Result<(number | string)[], Context>;
    fsSoldOutSnapshot(meta: string, users: string, holds: string): Result<(string | number)[], Context>;
  }
}

/**
 * lua/user_claims.lua at the user's home bucket: their claim entries, with the records of those the bucket
 * sold that are still pending; null for an unknown campaign, a number when the campaign has that many
 * buckets (not keys.buckets).
 */
export async function userClaims(
  r: Redis | Cluster,
  keys: CampaignKeys,
  userId: string,
): Promise<{ entries: ClaimEntry[]; pending: Claim[] } | number | null> {
  const reply = await r.fsUserClaims(keys.meta, keys.users, keys.claims, userId, keys.buckets);
  if (reply[0] === -1) return null;
  if (reply[0] === -11) return Number(reply[1]);
  return {
    entries: parseClaimEntries(String(reply[1] ?? '')),
    pending: reply.slice(2).map((raw) => decodeClaimRecord(String(raw))),
  };
}

/** A sold-out bucket's state at one instant (the winners are read separately, in short steps). */
export interface SoldOutState {
  startsAt: number;
  endsAt: number;
  paused: boolean;
  perUserLimit: number;
  /** Users with entries in the bucket's users hash. */
  winners: number;
  /** Claims the bucket sold, and holds in flight: unchanged across a scan, the scan saw a final state. */
  claimed: number;
  holds: number;
}

/** lua/sold_out_snapshot.lua: a sold-out bucket's state in one read; null when not sold out. */
export async function soldOutState(r: Redis | Cluster, keys: CampaignKeys): Promise<SoldOutState | null> {
  const reply = await r.fsSoldOutSnapshot(keys.meta, keys.users, keys.holds);
  if (reply[0] === -1) return null;
  return {
    startsAt: Number(reply[0]),
    endsAt: Number(reply[1]),
    paused: reply[2] === '1',
    perUserLimit: Number(reply[3]),
    winners: Number(reply[4]),
    claimed: Number(reply[5]),
    holds: Number(reply[6]),
  };
}
