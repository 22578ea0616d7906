import type { CampaignDefinition } from '../../domain/campaign.ts';

/**
 * A definition's editable fields as the scripts take them (lua/includes/definition.lua reads them in
 * this order): init_campaign, set_definition and finish_rebuild.
 */
export function definitionArgs(def: Omit<CampaignDefinition, 'id' | 'totalStock'>) {
  return [
    def.perUserLimit,
    def.startsAt.getTime(),
    def.endsAt.getTime(),
    def.paused ? ('1' as const) : ('0' as const),
    def.version,
    def.name,
  ] as const;
}

export type DefinitionArgs = ReturnType<typeof definitionArgs>;
