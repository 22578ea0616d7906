/**
 * The campaign as the product knows it, free of I/O: Postgres stores definitions, Redis holds a live copy
 * with the counters, and every layer speaks these types.
 */

/** A campaign as an operator defined it (Postgres is the source of truth). */
export interface Campaign {
  id: string;
  name: string;
  totalStock: number;
  perUserLimit: number;
  startsAt: Date;
  endsAt: Date;
  paused: boolean;
  version: number;
  /** Stock buckets (1 to 64), fixed at creation. */
  buckets: number;
  /** A coupon not redeemed within this many seconds of its claim expires (null: never). */
  couponTtlSeconds: number | null;
  /** Whether an expired coupon's unit goes back to stock. */
  returnExpired: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** What Redis needs of a definition to decide claims. */
export type CampaignDefinition = Pick<
  Campaign,
  'id' | 'name' | 'totalStock' | 'perUserLimit' | 'startsAt' | 'endsAt' | 'paused' | 'version' | 'buckets'
>;

/** The fields an operator may edit in place (stock has its own operation). */
export type DefinitionChanges = Partial<Pick<Campaign, 'name' | 'startsAt' | 'endsAt' | 'paused'>>;

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
  /** The server run it was last verified on against Postgres (the fence). */
  run: string;
  /** Claims ever made on it in Redis: the sequence's high-water mark. */
  seq: number;
  /** How many buckets the campaign has (this is one of them, or the sum of them all). */
  buckets: number;
}

/**
 * A campaign with several buckets as one: the definition of the first, the stock and counters of all
 * (rebuilding while any is). The sequence is per bucket and has no sum.
 */
export function combineBuckets(parts: readonly LiveCampaign[]): LiveCampaign {
  const [first] = parts;
  if (!first) throw new Error('a campaign has at least one bucket');
  const sum = (f: 'totalStock' | 'remaining' | 'claimed') => parts.reduce((n, p) => n + p[f], 0);
  return {
    ...first,
    totalStock: sum('totalStock'),
    remaining: sum('remaining'),
    claimed: sum('claimed'),
    rebuilding: parts.some((p) => p.rebuilding),
  };
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

/** True when the live copy's editable fields differ from the definition. */
export function definitionDiffers(live: LiveCampaign, def: CampaignDefinition): boolean {
  return (
    live.name !== def.name ||
    live.perUserLimit !== def.perUserLimit ||
    live.startsAt !== def.startsAt.getTime() ||
    live.endsAt !== def.endsAt.getTime() ||
    live.paused !== def.paused
  );
}

/** The changes that actually change something, compared with the current definition. */
export function effectiveChanges(current: Campaign, changes: DefinitionChanges): DefinitionChanges {
  const out: DefinitionChanges = {};
  for (const [key, value] of Object.entries(changes) as [keyof DefinitionChanges, unknown][]) {
    if (value === undefined) continue;
    const before = current[key];
    const same = before instanceof Date && value instanceof Date ? +before === +value : before === value;
    if (!same) Object.assign(out, { [key]: value });
  }
  return out;
}

export const CAMPAIGN_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const CAMPAIGN_ID_RULE = 'campaign id must match [a-z0-9][a-z0-9-]{0,63}';
