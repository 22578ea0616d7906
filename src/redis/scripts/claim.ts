import type { Cluster, Redis, Result } from 'ioredis';
import type { Claim, ClaimOutcome } from '../../domain/claim.ts';
import type { CampaignKeys } from '../keys.ts';
import { parseClaimIds } from '../records/claim-ids.ts';
import { decodeClaimRecord } from '../records/claim-record.ts';
import { saleRefusal } from './refusals.ts';
import { defineScript } from './source.ts';

export const claimDef = defineScript('fsClaim', 'claim.lua', 9);

declare module 'ioredis' {
  interface RedisCommander<Context> {
    fsClaim(
      meta: string,
      users: string,
      claims: string,
      pending: string,
      idem: string,
      userRate: string,
      addressRate: string,
      holds: string,
      codes: string,
      campaignId: string,
      userId: string,
      claimId: string,
      couponCode: string,
      idempotencyKey: string,
      idempotencyTtlSeconds: number,
      runId: string,
      userRateLimit: number,
      addressRateLimit: number,
      buckets: number,
      holdMs: number,
      requestId: string,
    ): Result<[number, ...(string | number)[]], Context>;
  }
}

export interface ClaimArgs {
  campaignId: string;
  userId: string;
  /** Fresh id and code, stored only when the claim succeeds. */
  claimId: string;
  couponCode: string;
  idempotencyKey?: string | undefined;
  idempotencyTtlSeconds: number;
  /** Run id of the server the connection is attached to (the fence). */
  runId: string;
  /** Attempts per second a user, and a client address, may make on the campaign (0: unlimited). */
  rate?: { userPerSecond: number; addressPerSecond: number; address?: string | undefined };
  /**
   * With several buckets and this one (the user's home) empty: 0 answers `home_empty`; above 0 places a
   * hold for that many ms, for the claim to be sold in another bucket.
   */
  holdMs?: number;
  /** The HTTP request's id, kept in the pending record (log lines downstream). */
  requestId?: string | undefined;
}

export type ClaimScriptResult =
  | { kind: 'claimed'; ordinal: number; claimedAt: number; seq: number }
  | { kind: 'replayed'; claim: Claim; pending: boolean }
  | { kind: 'fenced'; verifiedRun: string }
  | { kind: 'rate_limited'; retryAfterMs: number }
  | { kind: 'held'; ordinal: number; deadline: number; seq: number }
  | { kind: 'home_empty' }
  | { kind: 'wrong_buckets'; buckets: number }
  | { kind: 'hold_in_flight' }
  | Exclude<ClaimOutcome, { kind: 'claimed' | 'replayed' }>;

const HOME_EMPTY = { kind: 'home_empty' } as const;
const HOLD_IN_FLIGHT = { kind: 'hold_in_flight' } as const;

/** The one place a reply of lua/claim.lua becomes a typed result (its return codes are known here only). */
export function decodeClaimReply(reply: [number, ...(string | number)[]]): ClaimScriptResult {
  const [code, a, b, c] = reply;
  switch (code) {
    case 1:
      return { kind: 'claimed', ordinal: Number(a), claimedAt: Number(b), seq: Number(c) };
    case 2:
      return {
        kind: 'replayed',
        claim: decodeClaimRecord(a === undefined ? undefined : String(a)),
        pending: Number(b) === 1,
      };
    case -5:
      return { kind: 'limit_reached', claimIds: parseClaimIds(a === undefined ? '' : String(a)) };
    case -8:
      return { kind: 'fenced', verifiedRun: String(a ?? '') };
    case -9:
      return { kind: 'rate_limited', retryAfterMs: Number(a) };
    case 3:
      return { kind: 'held', ordinal: Number(a), deadline: Number(b), seq: Number(c) };
    case -10:
      return HOME_EMPTY;
    case -11:
      return { kind: 'wrong_buckets', buckets: Number(a) };
    case -12:
      return HOLD_IN_FLIGHT;
    default: {
      const refused = saleRefusal(code);
      if (refused) return refused;
      throw new Error(`claim script returned unknown code ${String(code)}`);
    }
  }
}

/** lua/claim.lua: decides one claim atomically and records it as pending. */
export async function claim(
  r: Redis | Cluster,
  keys: CampaignKeys,
  a: ClaimArgs,
): Promise<ClaimScriptResult> {
  const idem = a.idempotencyKey ?? '';
  const address = a.rate?.address ?? '';
  const reply = await r.fsClaim(
    keys.meta,
    keys.users,
    keys.claims,
    keys.pending,
    keys.idem(a.userId, idem),
    keys.userRate(a.userId),
    keys.addressRate(address),
    keys.holds,
    keys.codes,
    a.campaignId,
    a.userId,
    a.claimId,
    a.couponCode,
    idem,
    a.idempotencyTtlSeconds,
    a.runId,
    a.rate?.userPerSecond ?? 0,
    address ? (a.rate?.addressPerSecond ?? 0) : 0,
    keys.buckets,
    a.holdMs ?? 0,
    a.requestId ?? '',
  );
  return decodeClaimReply(reply);
}
