import type { Cluster, Redis, Result } from 'ioredis';
import { bucketShare } from '../../domain/buckets.ts';
import type { CampaignDefinition } from '../../domain/campaign.ts';
import type { CampaignKeys } from '../keys.ts';
import { type DefinitionArgs, definitionArgs } from './definition.ts';
import { defineScript } from './source.ts';

export const initCampaignDef = defineScript('fsInitCampaign', 'init_campaign.lua', 1);
export const setDefinitionDef = defineScript('fsSetDefinition', 'set_definition.lua', 1);

declare module 'ioredis' {
  interface RedisCommander<Context> {
    fsInitCampaign(
      meta: string,
      totalStock: number,
      ...args: [...definition: DefinitionArgs, runId: string]
    ): Result<0 | 1, Context>;
    fsSetDefinition(meta: string, ...definition: DefinitionArgs): Result<0 | 1, Context>;
  }
}

/**
 * lua/init_campaign.lua: loads a new campaign's bucket with its share of the stock, verified on the
 * connection's server run; false when Redis already had it.
 */
export async function initCampaign(
  r: Redis | Cluster,
  keys: CampaignKeys,
  def: CampaignDefinition,
  runId: string,
): Promise<boolean> {
  const share = bucketShare(def.totalStock, keys.buckets, keys.bucket);
  return (await r.fsInitCampaign(keys.meta, share, ...definitionArgs(def, keys.bucket), runId)) === 1;
}

/** lua/set_definition.lua: writes the editable fields; false when Redis does not hold the campaign. */
export async function setDefinition(
  r: Redis | Cluster,
  keys: CampaignKeys,
  def: CampaignDefinition,
): Promise<boolean> {
  return (await r.fsSetDefinition(keys.meta, ...definitionArgs(def, keys.bucket))) === 1;
}
