import type { CampaignDefinition } from '../../domain/campaign.ts';

/**
 * A definition's editable fields as the scripts take them (lua/includes/definition.lua reads them in
 * this order): init_campaign, set_definition and finish_rebuild; the last two say which bucket of how many.
 */
export function definitionArgs(def: Omit<CampaignDefinition, 'id' | 'totalStock'>, bucket: number) {
  return [
    def.perUserLimit,
    def.startsAt.getTime(),
    def.endsAt.getTime(),
    def.paused ? ('1' as const) : ('0' as const),
    def.version,
    def.name,
    def.buckets,
    bucket,
  ] as const;
}

export type DefinitionArgs = ReturnType<typeof definitionArgs>;
