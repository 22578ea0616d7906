import type { Cluster, Redis, Result } from 'ioredis';
import type { Claim } from '../../domain/claim.ts';
import type { CampaignKeys } from '../keys.ts';
import { decodeClaimRecord, encodeClaimRecord } from '../records/claim-record.ts';
import { SALE_REFUSALS } from './refusals.ts';
import { defineScript } from './source.ts';

export const claimForeignDef = defineScript('fsClaimForeign', 'claim_foreign.lua', 4);
export const confirmHoldDef = defineScript('fsConfirmHold', 'confirm_hold.lua', 3);
export const releaseHoldDef = defineScript('fsReleaseHold', 'release_hold.lua', 3);

declare module 'ioredis' {
  interface RedisCommander<Context> {
    fsClaimForeign(
      meta: string,
      claims: string,
      pending: string,
      codes: string,
      campaignId: string,
      userId: string,
      claimId: string,
      couponCode: string,
      idempotencyKey: string,
      runId: string,
      deadline: number,
      ordinal: number,
      homeBucket: number,
      homeSeq: number,
      requestId: string,
    ): Result<(number | string)[], Context>;
    fsConfirmHold(
      users: string,
      holds: string,
      idem: string,
      userId: string,
      claimId: string,
      bucket: number,
      record: string,
      idempotencyTtlSeconds: number,
    ): Result<0 | 1 | 2, Context>;
    fsReleaseHold(
      users: string,
      holds: string,
      idem: string,
      userId: string,
      claimId: string,
    ): Result<0 | 1, Context>;
  }
}

/** A hold at the user's home bucket: what a claim sold in another bucket must carry. */
export interface Hold {
  campaignId: string;
  userId: string;
  claimId: string;
  couponCode: string;
  idempotencyKey?: string | undefined;
  ordinal: number;
  deadline: number;
  /** The home bucket and the hold's place in its sequence. */
  homeBucket: number;
  homeSeq: number;
  requestId?: string | undefined;
}

export type ForeignResult =
  | { kind: 'claimed'; claimedAt: number; seq: number }
  | { kind: 'replayed'; claim: Claim }
  | { kind: 'sold_out' | 'not_found' | 'rebuilding' | 'fenced' | 'expired' }
  | { kind: 'not_active'; reason: 'not_started' | 'ended' | 'paused' };

const FOREIGN_CODES: Record<number, ForeignResult> = {
  ...SALE_REFUSALS,
  [-8]: { kind: 'fenced' },
  [-13]: { kind: 'expired' },
};

/** lua/claim_foreign.lua: sells one unit of `keys`' bucket for a hold placed at the user's home. */
export async function claimForeign(
  r: Redis | Cluster,
  keys: CampaignKeys,
  hold: Hold,
  runId: string,
): Promise<ForeignResult> {
  const [code, a, b] = await r.fsClaimForeign(
    keys.meta,
    keys.claims,
    keys.pending,
    keys.codes,
    hold.campaignId,
    hold.userId,
    hold.claimId,
    hold.couponCode,
    hold.idempotencyKey ?? '',
    runId,
    hold.deadline,
    hold.ordinal,
    hold.homeBucket,
    hold.homeSeq,
    hold.requestId ?? '',
  );
  if (code === 1) return { kind: 'claimed', claimedAt: Number(a), seq: Number(b) };
  if (code === 2) return { kind: 'replayed', claim: decodeClaimRecord(String(a)) };
  const known = FOREIGN_CODES[Number(code)];
  if (!known) throw new Error(`claim_foreign returned unknown code ${String(code)}`);
  return known;
}

/**
 * lua/confirm_hold.lua at the user's home: the hold becomes the claim sold in `claim.bucket`; its
 * Idempotency-Key replays it from now on. 'missing' when there was no such hold.
 */
export async function confirmHold(
  r: Redis | Cluster,
  home: CampaignKeys,
  claim: Claim,
  idempotencyTtlSeconds: number,
): Promise<'confirmed' | 'already' | 'missing'> {
  const idem = claim.idempotencyKey ?? '';
  const reply = await r.fsConfirmHold(
    home.users,
    home.holds,
    home.idem(claim.userId, idem),
    claim.userId,
    claim.id,
    claim.bucket ?? 0,
    idem ? encodeClaimRecord(claim) : '',
    idempotencyTtlSeconds,
  );
  return reply === 1 ? 'confirmed' : reply === 2 ? 'already' : 'missing';
}

/** lua/release_hold.lua at the user's home: gives the user's place back; false when there was no hold. */
export async function releaseHold(
  r: Redis | Cluster,
  home: CampaignKeys,
  hold: { userId: string; claimId: string; idempotencyKey?: string | undefined },
): Promise<boolean> {
  const reply = await r.fsReleaseHold(
    home.users,
    home.holds,
    home.idem(hold.userId, hold.idempotencyKey ?? ''),
    hold.userId,
    hold.claimId,
  );
  return reply === 1;
}
