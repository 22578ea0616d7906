import type { Redis, Result } from 'ioredis';
import type { Claim } from '../../domain/claim.ts';
import type { CampaignKeys } from '../keys.ts';
import { parseClaimIds } from '../records/claim-ids.ts';
import { decodeClaimRecord } from '../records/claim-record.ts';
import { defineScript } from './source.ts';

export const userClaimsDef = defineScript('fsUserClaims', 'user_claims.lua', 4, true);
export const soldOutSnapshotDef = defineScript('fsSoldOutSnapshot', 'sold_out_snapshot.lua', 2, true);

declare module 'ioredis' {
  interface RedisCommander<Context> {
    fsUserClaims(
      meta: string,
      users: string,
      claims: string,
      pending: string,
      userId: string,
    ): Result<(number | string)[], Context>;
    fsSoldOutSnapshot(meta: string, users: string, maxWinners: number): Result<(string | number)[], Context>;
  }
}

/** lua/user_claims.lua: a user's claims with whether each is still pending; null for an unknown campaign. */
export async function userClaims(
  r: Redis,
  keys: CampaignKeys,
  userId: string,
): Promise<{ claim: Claim; pending: boolean }[] | null> {
  const reply = await r.fsUserClaims(keys.meta, keys.users, keys.claims, keys.pending, userId);
  if (reply[0] === -1) return null;
  const out: { claim: Claim; pending: boolean }[] = [];
  for (let i = 1; i + 1 < reply.length; i += 2) {
    out.push({ claim: decodeClaimRecord(String(reply[i])), pending: Number(reply[i + 1]) === 1 });
  }
  return out;
}

export interface SoldOutSnapshot {
  startsAt: number;
  endsAt: number;
  paused: boolean;
  perUserLimit: number;
  /** userId -> that winner's claim ids */
  winners: Map<string, string[]>;
}

/** lua/sold_out_snapshot.lua: a sold-out campaign's final state in one read; null when not applicable. */
export async function soldOutSnapshot(
  r: Redis,
  keys: CampaignKeys,
  maxWinners: number,
): Promise<SoldOutSnapshot | null> {
  const reply = await r.fsSoldOutSnapshot(keys.meta, keys.users, maxWinners);
  if (reply[0] === -1) return null;
  const winners = new Map<string, string[]>();
  for (let i = 4; i + 1 < reply.length; i += 2)
    winners.set(String(reply[i]), parseClaimIds(String(reply[i + 1])));
  return {
    startsAt: Number(reply[0]),
    endsAt: Number(reply[1]),
    paused: reply[2] === '1',
    perUserLimit: Number(reply[3]),
    winners,
  };
}
