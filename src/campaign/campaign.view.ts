import type { CampaignRow } from '../db/schema.ts';

/** A campaign as the admin API shows it (from Postgres, the source of truth for definitions). */
export interface AdminCampaign {
  id: string;
  name: string;
  totalStock: number;
  perUserLimit: number;
  startsAt: string;
  endsAt: string;
  paused: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export function adminView(row: CampaignRow): AdminCampaign {
  return {
    id: row.id,
    name: row.name,
    totalStock: row.totalStock,
    perUserLimit: row.perUserLimit,
    startsAt: row.startsAt.toISOString(),
    endsAt: row.endsAt.toISOString(),
    paused: row.paused,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
