/** A campaign as defined by an operator (Postgres is the source of truth). */
export interface CampaignDefinition {
  id: string;
  name: string;
  totalStock: number;
  perUserLimit: number;
  startsAt: Date;
  endsAt: Date;
  paused: boolean;
  version: number;
}

/** The live copy in Redis: definition plus counters. */
export interface LiveCampaign {
  id: string;
  name: string;
  totalStock: number;
  remaining: number;
  claimed: number;
  perUserLimit: number;
  startsAt: number;
  endsAt: number;
  paused: boolean;
  version: number;
  rebuilding: boolean;
}

/**
 * A definition's editable fields as the Lua scripts take them (init_campaign, set_definition and
 * finish_rebuild all take this list, in this order).
 */
export function definitionArgs(
  def: Pick<CampaignDefinition, 'perUserLimit' | 'startsAt' | 'endsAt' | 'paused' | 'version' | 'name'>,
) {
  return [
    def.perUserLimit,
    def.startsAt.getTime(),
    def.endsAt.getTime(),
    def.paused ? ('1' as const) : ('0' as const),
    def.version,
    def.name,
  ] as const;
}

export type CampaignState = 'scheduled' | 'active' | 'paused' | 'sold_out' | 'ended';

/** Same order of checks as lua/claim.lua, so the state says what a claim would get right now. */
export function campaignState(
  c: Pick<LiveCampaign, 'startsAt' | 'endsAt' | 'paused' | 'remaining'>,
  now: number,
): CampaignState {
  if (now >= c.endsAt) return 'ended';
  if (now < c.startsAt) return 'scheduled';
  if (c.paused) return 'paused';
  if (c.remaining <= 0) return 'sold_out';
  return 'active';
}

/** Field order of the HMGET that reads a live campaign. */
export const liveFields = [
  'name',
  'totalStock',
  'remaining',
  'claimed',
  'perUserLimit',
  'startsAt',
  'endsAt',
  'paused',
  'version',
  'status',
] as const;

/** Parses the HMGET reply for liveFields; null when the campaign is not in Redis. */
export function parseLiveCampaign(id: string, values: (string | null)[]): LiveCampaign | null {
  const [name, totalStock, remaining, claimed, perUserLimit, startsAt, endsAt, paused, version, status] =
    values;
  if (totalStock == null) return null;
  return {
    id,
    name: name ?? '',
    totalStock: Number(totalStock),
    remaining: Number(remaining),
    claimed: Number(claimed),
    perUserLimit: Number(perUserLimit),
    startsAt: Number(startsAt),
    endsAt: Number(endsAt),
    paused: paused === '1',
    version: Number(version),
    rebuilding: status === 'rebuilding',
  };
}

export const CAMPAIGN_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
