/** What a reconciler run found and did, per campaign. Stored in reconciliation_runs as JSON. */

/**
 * I1-I6 of DESIGN.md, plus: Redis lost state or came back behind (redis_state), definition drift, a stock
 * change Postgres missed, claims Postgres refused to store, the ledger's count disagreeing with the
 * rows, and a pass that failed for this campaign (error).
 */
export type Invariant =
  | 'I1'
  | 'I2'
  | 'I3'
  | 'I4'
  | 'I5'
  | 'I6'
  | 'redis_state'
  | 'definition'
  | 'stock'
  | 'refused'
  | 'ledger'
  | 'holds'
  | 'reservations'
  | 'returns'
  | 'lifecycle'
  | 'error';

export interface Violation {
  invariant: Invariant;
  message: string;
  values: Record<string, unknown>;
  /** True when this run repaired it. */
  repaired: boolean;
}

export interface CampaignReport {
  campaignId: string;
  durationMs: number;
  /** Live counters in Redis after the run (summed over the buckets: each one's in `buckets`). */
  redis: { totalStock: number; remaining: number; claimed: number; claimRecords: number; pending: number };
  /** Per bucket, for a campaign with several. */
  buckets?: { bucket: number; totalStock: number; remaining: number; claimed: number; pending: number }[];
  /** The ledger in Postgres after the run. */
  postgres: { totalStock: number; persisted: number };
  repairs: {
    /** Redis had lost state and the campaign was rebuilt from Postgres and the queue. */
    rebuilt: boolean;
    /** Editable fields (name, window, paused) copied from Postgres into Redis. */
    definitionSynced: boolean;
    /** Stock changes journaled in Redis that Postgres had not recorded, now recorded. */
    stockChangesRecorded: number;
    /** Counters rewritten from the claim records (I2). */
    countersFixed: boolean;
    /** Pending claims already in Postgres, now marked persisted. */
    markedPersisted: number;
    /** Pending claims older than the grace period and not in Postgres, handed to the queue again. */
    requeued: number;
    /**
     * The Redis server's run changed (a restart, a failover, a restore) and the campaign was compared with
     * Postgres and found complete: it sells again on the new run without a rebuild.
     */
    verifiedRun: boolean;
    /**
     * Holds at users' home buckets left past their deadline (an instance died between the steps of a sale
     * from another bucket): confirmed when that bucket sold the claim, released when none did.
     */
    holdsResolved: number;
    /**
     * Gift-pack reservations left past their deadline (the pressing instance died or stalled between the
     * phases): committed when the press was decided "commit", given back otherwise.
     */
    reservationsSettled: number;
    /** Active coupons past their expiry, marked expired (Postgres' clock). */
    expired: number;
    /** Units Postgres gave back (released, expired and returned) put back in Redis by this pass. */
    returned: number;
  };
  violations: Violation[];
  /** Persisted equals claimed and nothing is pending (I6); false while claims are in flight. */
  drained: boolean;
}

export interface RunReport {
  runId: number | null;
  trigger: 'schedule' | 'manual' | 'cli' | 'recovery';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** False when any violation was left unrepaired. */
  ok: boolean;
  /** True when the pass was stopped (shutdown) before it reached every campaign. */
  interrupted: boolean;
  campaigns: CampaignReport[];
}

export function unrepaired(report: Pick<RunReport, 'campaigns'>): Violation[] {
  return report.campaigns.flatMap((c) => c.violations.filter((v) => !v.repaired));
}
