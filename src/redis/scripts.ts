import { readFileSync } from 'node:fs';
import type { Redis, Result } from 'ioredis';

/**
 * Lua scripts, one file each in lua/, registered on a connection with defineCommand. ioredis sends
 * EVALSHA (falling back to EVAL once per connection), so a deployed version only ever runs its own text.
 */
export const scriptDefs = {
  fsClaim: { file: 'claim.lua', keys: 5 },
  fsInitCampaign: { file: 'init_campaign.lua', keys: 1 },
  fsUserClaims: { file: 'user_claims.lua', keys: 4, readOnly: true },
  fsAdjustStock: { file: 'adjust_stock.lua', keys: 2 },
  fsSetDefinition: { file: 'set_definition.lua', keys: 1 },
  fsBeginRebuild: { file: 'begin_rebuild.lua', keys: 1 },
  fsFinishRebuild: { file: 'finish_rebuild.lua', keys: 2 },
  fsReconcileCounters: { file: 'reconcile_counters.lua', keys: 2 },
  fsSoldOutSnapshot: { file: 'sold_out_snapshot.lua', keys: 2, readOnly: true },
} as const;

export type ScriptName = keyof typeof scriptDefs;

const luaDir = new URL('../../lua/', import.meta.url);
const sources = new Map<ScriptName, string>();

export function scriptSource(name: ScriptName): string {
  let lua = sources.get(name);
  if (lua === undefined) {
    lua = readFileSync(new URL(scriptDefs[name].file, luaDir), 'utf8');
    sources.set(name, lua);
  }
  return lua;
}

export function defineScripts(redis: Redis): Redis {
  for (const name of Object.keys(scriptDefs) as ScriptName[]) {
    const def = scriptDefs[name];
    redis.defineCommand(name, {
      numberOfKeys: def.keys,
      lua: scriptSource(name),
      readOnly: 'readOnly' in def ? def.readOnly : false,
    });
  }
  return redis;
}

type Arg = string | number;

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
    fsInitCampaign(
      meta: string,
      totalStock: Arg,
      perUserLimit: Arg,
      startsAt: Arg,
      endsAt: Arg,
      paused: '0' | '1',
      version: Arg,
      name: string,
    ): Result<0 | 1, Context>;
    fsUserClaims(
      meta: string,
      users: string,
      claims: string,
      pending: string,
      userId: string,
    ): Result<(number | string)[], Context>;
    fsAdjustStock(
      meta: string,
      journal: string,
      adjustmentId: string,
      delta: number,
      actor: string,
      now: number,
    ): Result<[number, (string | number)?], Context>;
    fsSetDefinition(
      meta: string,
      perUserLimit: Arg,
      startsAt: Arg,
      endsAt: Arg,
      paused: '0' | '1',
      version: Arg,
      name: string,
    ): Result<0 | 1, Context>;
    fsBeginRebuild(meta: string, now: number): Result<1, Context>;
    fsFinishRebuild(
      meta: string,
      claims: string,
      totalStock: Arg,
      perUserLimit: Arg,
      startsAt: Arg,
      endsAt: Arg,
      paused: '0' | '1',
      version: Arg,
      name: string,
    ): Result<[number, number], Context>;
    fsReconcileCounters(meta: string, claims: string, totalStock: Arg): Result<number[], Context>;
    fsSoldOutSnapshot(meta: string, users: string, maxWinners: number): Result<(string | number)[], Context>;
  }
}
