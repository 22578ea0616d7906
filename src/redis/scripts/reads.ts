import type { Cluster, Redis, Result } from 'ioredis';
import type { Claim } from '../../domain/claim.ts';
import type { CampaignKeys } from '../keys.ts';
import { parseClaimIds } from '../records/claim-ids.ts';
import { decodeClaimRecord } from '../records/claim-record.ts';
import { defineScript } from './source.ts';

export const userClaimsDef = defineScript('fsUserClaims', 'user_claims.lua', 3, true);
export const soldOutSnapshotDef = defineScript('fsSoldOutSnapshot', 'sold_out_snapshot.lua', 2, true);

declare module 'ioredis' {
  interface RedisCommander<Context> {
    fsUserClaims(
      meta: string,
      users: string,
      claims: string,
      userId: string,
    ): Result<(number | string)[], Context>;
    fsSoldOutSnapshot(meta: string, users: string, maxWinners: number): Result<(string | number)[], Context>;
  }
}

/**
 * lua/user_claims.lua: a user's claim ids, with the records of those still pending (the others are in
 * Postgres); null for an unknown campaign.
 */
export async function userClaims(
  r: Redis | Cluster,
  keys: CampaignKeys,
  userId: string,
): Promise<{ ids: string[]; pending: Claim[] } | null> {
  const reply = await r.fsUserClaims(keys.meta, keys.users, keys.claims, userId);
  if (reply[0] === -1) return null;
  return {
    ids: parseClaimIds(String(reply[1] ?? '')),
    pending: reply.slice(2).map((raw) => decodeClaimRecord(String(raw))),
  };
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
  r: Redis | Cluster,
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
