import { claimReads } from './claims/reads.ts';
import { claimWrites } from './claims/writes.ts';
import type { Database } from './client.ts';
import { guarded } from './outage.ts';

export type { InsertOutcome } from './claims/writes.ts';

/** The claims ledger: batched idempotent writes, and the reads of one campaign's claims. */
export function createClaimsRepo(database: Database) {
  return guarded({ ...claimWrites(database), ...claimReads(database) });
}

export type ClaimsRepo = ReturnType<typeof createClaimsRepo>;
