import type { Cluster, Redis, Result } from 'ioredis';
import type { CampaignDefinition } from '../../domain/campaign.ts';
import type { CampaignKeys } from '../keys.ts';
import { type DefinitionArgs, definitionArgs } from './definition.ts';
import { defineScript } from './source.ts';

export const beginRebuildDef = defineScript('fsBeginRebuild', 'begin_rebuild.lua', 1);
export const finishRebuildDef = defineScript('fsFinishRebuild', 'finish_rebuild.lua', 1);
export const verifyFenceDef = defineScript('fsVerifyFence', 'verify_fence.lua', 1);
export const reconcileCountersDef = defineScript('fsReconcileCounters', 'reconcile_counters.lua', 4);

declare module 'ioredis' {
  interface RedisCommander<Context> {
    fsBeginRebuild(meta: string, now: number): Result<1, Context>;
    fsFinishRebuild(
      meta: string,
      totalStock: number,
      ...args: [...definition: DefinitionArgs, claimed: number, seq: number, runId: string]
    ): Result<[number, number], Context>;
    fsVerifyFence(meta: string, runId: string, knownSeq: number): Result<number[], Context>;
    fsReconcileCounters(
      meta: string,
      pending: string,
      refused: string,
      reservations: string,
      totalStock: number,
    ): Result<number[], Context>;
  }
}

/** lua/begin_rebuild.lua: claims on the campaign answer "rebuilding" (503) until finishRebuild. */
export async function beginRebuild(r: Redis | Cluster, keys: CampaignKeys, now: number): Promise<void> {
  await r.fsBeginRebuild(keys.meta, now);
}

/**
 * lua/finish_rebuild.lua: writes a bucket's definition, its total stock and counters, continues the sequence at `seq`, and reopens
 * the campaign verified on the connection's server run.
 */
export async function finishRebuild(
  r: Redis | Cluster,
  keys: CampaignKeys,
  def: CampaignDefinition,
  state: { totalStock: number; claimed: number; seq: number; runId: string },
): Promise<{ claimed: number; remaining: number }> {
  const [claimed, remaining] = await r.fsFinishRebuild(
    keys.meta,
    state.totalStock,
    ...definitionArgs(def, keys.bucket),
    state.claimed,
    state.seq,
    state.runId,
  );
  return { claimed, remaining };
}

export type FenceResult =
  | { kind: 'verified' | 'already_verified' }
  | { kind: 'behind'; seq: number }
  | { kind: 'not_loaded' | 'rebuilding' };

/** lua/verify_fence.lua: opens the campaign on this run unless Redis is behind `knownSeq`. */
export async function verifyFence(
  r: Redis | Cluster,
  keys: CampaignKeys,
  runId: string,
  knownSeq: number,
): Promise<FenceResult> {
  const [code, seq = 0] = await r.fsVerifyFence(keys.meta, runId, knownSeq);
  switch (code) {
    case 1:
      return { kind: 'verified' };
    case 2:
      return { kind: 'already_verified' };
    case 0:
      return { kind: 'behind', seq };
    case -1:
      return { kind: 'not_loaded' };
    case -7:
      return { kind: 'rebuilding' };
    default:
      throw new Error(`verify_fence returned unknown code ${String(code)}`);
  }
}

export interface CountersFound {
  totalStock: number;
  remaining: number;
  claimed: number;
  pending: number;
  refused: number;
  seq: number;
  /** Gift-pack reservations awaiting their decision: counted as claimed, not yet claims. */
  reserved: number;
}

export type CountersResult =
  | { kind: 'consistent' | 'corrected' | 'oversold'; found: CountersFound }
  | { kind: 'not_loaded' };

/** lua/reconcile_counters.lua: one atomic look at the counters, repaired when they disagree (I2). */
export async function reconcileCounters(
  r: Redis | Cluster,
  keys: CampaignKeys,
  totalStock: number,
): Promise<CountersResult> {
  const [code, totalFound = 0, remaining = 0, claimed = 0, pending = 0, refused = 0, seq = 0, reserved = 0] =
    await r.fsReconcileCounters(keys.meta, keys.pending, keys.refused, keys.reservations, totalStock);
  const found = { totalStock: totalFound, remaining, claimed, pending, refused, seq, reserved };
  if (code === 0) return { kind: 'consistent', found };
  if (code === 1) return { kind: 'corrected', found };
  if (code === -1) return { kind: 'oversold', found };
  if (code === -7) return { kind: 'not_loaded' };
  throw new Error(`reconcile_counters returned unknown code ${String(code)}`);
}
