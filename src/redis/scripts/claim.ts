import type { Redis, Result } from 'ioredis';
import type { Claim, NotActiveReason } from '../../domain/claim.ts';
import type { CampaignKeys } from '../keys.ts';
import { parseClaimIds } from '../records/claim-ids.ts';
import { decodeClaimRecord } from '../records/claim-record.ts';
import { defineScript } from './source.ts';

export const claimDef = defineScript('fsClaim', 'claim.lua', 5);

declare module 'ioredis' {
  interface RedisCommander<Context> {
    fsClaim(
      meta: string,
      users: string,
      claims: string,
      pending: string,
      idem: string,
      campaignId: string,
      userId: string,
      claimId: string,
      couponCode: string,
      now: number,
      idempotencyKey: string,
      idempotencyTtlSeconds: number,
    ): Result<[number, (string | number)?], Context>;
  }
}

export interface ClaimArgs {
  campaignId: string;
  userId: string;
  /** Fresh id and code, stored only when the claim succeeds. */
  claimId: string;
  couponCode: string;
  now: number;
  idempotencyKey?: string | undefined;
  idempotencyTtlSeconds: number;
}

export type ClaimScriptResult =
  | { kind: 'claimed'; ordinal: number }
  | { kind: 'replayed'; claim: Claim }
  | { kind: 'not_found' }
  | { kind: 'not_active'; reason: NotActiveReason }
  | { kind: 'limit_reached'; claimIds: string[] }
  | { kind: 'sold_out' }
  | { kind: 'rebuilding' };

/** Return codes of lua/claim.lua. */
const Code = {
  Claimed: 1,
  Replayed: 2,
  NotFound: -1,
  NotStarted: -2,
  Ended: -3,
  Paused: -4,
  LimitReached: -5,
  SoldOut: -6,
  Rebuilding: -7,
} as const;

const NOT_FOUND = { kind: 'not_found' } as const;
const SOLD_OUT = { kind: 'sold_out' } as const;
const REBUILDING = { kind: 'rebuilding' } as const;
const NOT_STARTED = { kind: 'not_active', reason: 'not_started' } as const;
const ENDED = { kind: 'not_active', reason: 'ended' } as const;
const PAUSED = { kind: 'not_active', reason: 'paused' } as const;

/** The one place a claim script reply becomes a typed result. */
export function decodeClaimReply(reply: [number, (string | number)?]): ClaimScriptResult {
  const [code, payload] = reply;
  switch (code) {
    case Code.Claimed:
      return { kind: 'claimed', ordinal: Number(payload) };
    case Code.Replayed:
      return {
        kind: 'replayed',
        claim: decodeClaimRecord(payload === undefined ? undefined : String(payload)),
      };
    case Code.NotFound:
      return NOT_FOUND;
    case Code.NotStarted:
      return NOT_STARTED;
    case Code.Ended:
      return ENDED;
    case Code.Paused:
      return PAUSED;
    case Code.LimitReached:
      return { kind: 'limit_reached', claimIds: parseClaimIds(payload === undefined ? '' : String(payload)) };
    case Code.SoldOut:
      return SOLD_OUT;
    case Code.Rebuilding:
      return REBUILDING;
    default:
      throw new Error(`claim script returned unknown code ${String(code)}`);
  }
}

/** lua/claim.lua: decides one claim atomically and records it as pending. */
export async function claim(r: Redis, keys: CampaignKeys, a: ClaimArgs): Promise<ClaimScriptResult> {
  const idem = a.idempotencyKey ?? '';
  const reply = await r.fsClaim(
    keys.meta,
    keys.users,
    keys.claims,
    keys.pending,
    keys.idem(a.userId, idem),
    a.campaignId,
    a.userId,
    a.claimId,
    a.couponCode,
    a.now,
    idem,
    a.idempotencyTtlSeconds,
  );
  return decodeClaimReply(reply);
}
