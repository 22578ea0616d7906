import type { Cluster, Redis, Result } from 'ioredis';
import type { Claim } from '../../domain/claim.ts';
import type { CampaignKeys } from '../keys.ts';
import { parseClaimIds } from '../records/claim-ids.ts';
import { RESERVE_CODES, type ReserveResult } from './bundle.ts';
import { defineScript } from './source.ts';

/** Its KEYS count depends on the pack's size (1 + 5 per campaign): given with each call. */
export const claimPackDef = defineScript('fsClaimPack', 'claim_pack.lua', -1);

declare module 'ioredis' {
  interface RedisCommander<Context> {
    fsClaimPack(numKeys: number, ...keysAndArgs: (string | number)[]): Result<(number | string)[], Context>;
  }
}

/** One campaign's part of a whole pack sold in one step (lua/claim_pack.lua). */
export interface PackPart {
  keys: CampaignKeys;
  claimId: string;
  couponCode: string;
}

export type PackResult = { kind: 'claimed'; claims: Claim[] } | { kind: 'refused'; results: ReserveResult[] };

/**
 * lua/claim_pack.lua: every campaign of a pack on one server (standalone Redis) checked and sold in one
 * script, the decision record written with it; refused as a whole, with each campaign's answer.
 */
export async function claimPack(
  r: Redis | Cluster,
  a: {
    decisionKey: string;
    userId: string;
    runId: string;
    bundleClaimId: string;
    decisionTtlSeconds: number;
    requestId?: string | undefined;
    parts: PackPart[];
  },
): Promise<PackResult> {
  const keys = [
    a.decisionKey,
    ...a.parts.flatMap((p) => [p.keys.meta, p.keys.users, p.keys.claims, p.keys.pending, p.keys.codes]),
  ];
  const args = [
    a.userId,
    a.runId,
    a.bundleClaimId,
    a.decisionTtlSeconds,
    a.requestId ?? '',
    ...a.parts.flatMap((p) => [p.keys.campaignId, p.claimId, p.couponCode]),
  ];
  const reply = await r.fsClaimPack(keys.length, ...keys, ...args);
  if (reply[0] === 1) {
    const claimedAt = Number(reply[1]);
    const claims = a.parts.map(
      (p, i): Claim => ({
        id: p.claimId,
        campaignId: p.keys.campaignId,
        userId: a.userId,
        couponCode: p.couponCode,
        claimedAt,
        ordinal: Number(reply[2 + 2 * i]),
        seq: Number(reply[3 + 2 * i]),
        bundleClaimId: a.bundleClaimId,
        ...(a.requestId ? { requestId: a.requestId } : {}),
      }),
    );
    return { kind: 'claimed', claims };
  }
  if (reply[0] !== 0) throw new Error(`claim_pack returned unknown code ${String(reply[0])}`);
  const results = a.parts.map((_, i): ReserveResult => {
    const code = Number(reply[1 + 2 * i]);
    const extra = String(reply[2 + 2 * i] ?? '');
    if (code === 1) return { kind: 'already' }; // would have sold: nothing to give back
    if (code === -5) return { kind: 'limit_reached', claimIds: parseClaimIds(extra) };
    if (code === -8) return { kind: 'fenced', verifiedRun: extra };
    const known = RESERVE_CODES[code];
    if (!known) throw new Error(`claim_pack returned unknown campaign code ${code}`);
    return known;
  });
  return { kind: 'refused', results };
}
