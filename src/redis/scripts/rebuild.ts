import type { Redis, Result } from 'ioredis';
import type { CampaignDefinition } from '../../domain/campaign.ts';
import type { CampaignKeys } from '../keys.ts';
import { type DefinitionArgs, definitionArgs } from './definition.ts';
import { defineScript } from './source.ts';

export const beginRebuildDef = defineScript('fsBeginRebuild', 'begin_rebuild.lua', 1);
export const finishRebuildDef = defineScript('fsFinishRebuild', 'finish_rebuild.lua', 2);
export const reconcileCountersDef = defineScript('fsReconcileCounters', 'reconcile_counters.lua', 2);

declare module 'ioredis' {
  interface RedisCommander<Context> {
    fsBeginRebuild(meta: string, now: number): Result<1, Context>;
    fsFinishRebuild(
      meta: string,
      claims: string,
      totalStock: number,
      ...definition: DefinitionArgs
    ): Result<[number, number], Context>;
    fsReconcileCounters(meta: string, claims: string, totalStock: number): Result<number[], Context>;
  }
}

/** lua/begin_rebuild.lua: claims on the campaign answer "rebuilding" (503) until finishRebuild. */
export async function beginRebuild(r: Redis, keys: CampaignKeys, now: number): Promise<void> {
  await r.fsBeginRebuild(keys.meta, now);
}

/** lua/finish_rebuild.lua: writes definition and counters (from the records written) and reopens. */
export async function finishRebuild(
  r: Redis,
  keys: CampaignKeys,
  def: CampaignDefinition,
): Promise<{ claimed: number; remaining: number }> {
  const [claimed, remaining] = await r.fsFinishRebuild(
    keys.meta,
    keys.claims,
    def.totalStock,
    ...definitionArgs(def),
  );
  return { claimed, remaining };
}

export type CountersResult =
  | { kind: 'consistent' | 'corrected'; totalStock: number; remaining: number; claimed: number }
  | { kind: 'oversold'; totalStock: number; records: number }
  | { kind: 'not_loaded' };

/** lua/reconcile_counters.lua: makes the counters agree with the records and the total, atomically. */
export async function reconcileCounters(
  r: Redis,
  keys: CampaignKeys,
  totalStock: number,
): Promise<CountersResult> {
  const [code, a = 0, b = 0, c = 0] = await r.fsReconcileCounters(keys.meta, keys.claims, totalStock);
  if (code === 0 || code === 1) {
    return { kind: code === 0 ? 'consistent' : 'corrected', totalStock: a, remaining: b, claimed: c };
  }
  if (code === -1) return { kind: 'oversold', totalStock: a, records: b };
  if (code === -7) return { kind: 'not_loaded' };
  throw new Error(`reconcile_counters returned unknown code ${String(code)}`);
}
