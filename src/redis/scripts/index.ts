import type { Cluster, Redis } from 'ioredis';
import {
  abortReservation,
  abortReservationDef,
  commitReservation,
  commitReservationDef,
  reserveUnit,
  reserveUnitDef,
} from './bundle.ts';
import { initCampaign, initCampaignDef, setDefinition, setDefinitionDef } from './campaign.ts';
import { claim, claimDef } from './claim.ts';
import {
  claimForeign,
  claimForeignDef,
  confirmHold,
  confirmHoldDef,
  releaseHold,
  releaseHoldDef,
} from './holds.ts';
import { claimPack, claimPackDef } from './pack.ts';
import { markPersisted, markPersistedDef } from './persisted.ts';
import { soldOutSnapshotDef, soldOutState, userClaims, userClaimsDef } from './reads.ts';
import {
  beginRebuild,
  beginRebuildDef,
  finishRebuild,
  finishRebuildDef,
  reconcileCounters,
  reconcileCountersDef,
  verifyFence,
  verifyFenceDef,
} from './rebuild.ts';
import { releaseClaim, releaseClaimDef } from './release.ts';
import { type ScriptDef, scriptSource } from './source.ts';
import { adjustStock, adjustStockDef } from './stock.ts';

/**
 * Every Lua script, one typed function each: it builds the script's keys from a campaign's keys, names
 * its arguments and decodes its reply. Return codes and argument positions are known to these modules
 * alone.
 */
export const scripts = {
  claim,
  claimForeign,
  confirmHold,
  releaseHold,
  releaseClaim,
  reserveUnit,
  commitReservation,
  abortReservation,
  claimPack,
  initCampaign,
  setDefinition,
  adjustStock,
  beginRebuild,
  finishRebuild,
  reconcileCounters,
  verifyFence,
  userClaims,
  soldOutState,
  markPersisted,
};

/** The scripts registered on every connection. */
export const scriptDefs: readonly ScriptDef[] = [
  claimDef,
  claimForeignDef,
  confirmHoldDef,
  releaseHoldDef,
  releaseClaimDef,
  reserveUnitDef,
  commitReservationDef,
  abortReservationDef,
  claimPackDef,
  initCampaignDef,
  setDefinitionDef,
  adjustStockDef,
  beginRebuildDef,
  finishRebuildDef,
  reconcileCountersDef,
  verifyFenceDef,
  userClaimsDef,
  soldOutSnapshotDef,
  markPersistedDef,
];

/**
 * Registers every script on a connection with defineCommand. ioredis sends EVALSHA (falling back to EVAL
 * once per connection), so a deployed version only ever runs its own text.
 */
export function defineScripts<R extends Redis | Cluster>(redis: R): R {
  for (const def of scriptDefs) {
    redis.defineCommand(def.name, {
      // A negative count: the caller gives the number of keys first (a script over a variable key list).
      ...(def.keys >= 0 ? { numberOfKeys: def.keys } : {}),
      lua: scriptSource(def.file),
      readOnly: def.readOnly ?? false,
    });
  }
  return redis;
}

export type { ScriptDef };
export { scriptSource };
