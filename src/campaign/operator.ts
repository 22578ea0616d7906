import type { Database, Tx } from '../db/client.ts';

/** Who did it and for which request: every operator change is recorded with both. */
export interface Actor {
  actor: string;
  requestId?: string | undefined;
}

/**
 * An operator write to one campaign: one Postgres transaction (which holds the campaign's row, so writes
 * to one campaign run one after another), the Redis side done inside it so a Redis failure rolls it back,
 * and, once committed, an announcement that drops every instance's snapshot of the campaign.
 */
export function campaignWrite(database: Database, announce: (campaignId: string) => Promise<void>) {
  return async <T>(campaignId: string, work: (tx: Tx) => Promise<T>): Promise<T> => {
    const result = await database.transaction(work);
    await announce(campaignId);
    return result;
  };
}
