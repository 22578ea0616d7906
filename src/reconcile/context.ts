import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CampaignsRepo } from '../db/campaigns.repo.ts';
import type { ChangesRepo } from '../db/changes.repo.ts';
import type { ClaimsRepo } from '../db/claims.repo.ts';
import type { Database, Tx } from '../db/client.ts';
import type { CouponsRepo } from '../db/coupons.repo.ts';
import type { RunsRepo } from '../db/runs.repo.ts';
import type { Campaign, LiveCampaign } from '../domain/campaign.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { PersistJob, PersistProducer } from '../queue/persist.queue.ts';
import type { CampaignKeys } from '../redis/keys.ts';
import type { RedisRouter } from '../redis/router.ts';
import type { CountersFound } from '../redis/scripts/rebuild.ts';
import type { ServerRun } from '../redis/server-run.ts';
import type { Logger } from '../shared/logger.ts';
import type { CampaignReport, Violation } from './report.ts';

export interface ReconcilerDeps {
  database: Database;
  /** The Redis masters; a pass uses the background connection of the one serving its campaign. */
  redis: RedisRouter;
  keyPrefix: string;
  repos: {
    campaigns: CampaignsRepo;
    claims: ClaimsRepo;
    changes: ChangesRepo;
    runs: RunsRepo;
    coupons: CouponsRepo;
  };
  producer: Pick<PersistProducer, 'enqueue'>;
  queue: Queue<PersistJob>;
  /** A pending claim younger than this is in transit, not lost. */
  graceMs: number;
  /** Pause between holding claims off and reading the queue during a rebuild. */
  settleMs: number;
  /** How long a hold at a user's home bucket may wait for another bucket (BUCKET_HOLD_MS). */
  holdMs: number;
  idempotencyTtlSeconds: number;
  /** Scheduled runs look at campaigns that have not ended, or ended within this window. */
  lookbackMs: number;
  log: Logger;
  /** Counts runs, their duration and the violations they found. */
  metrics?: Pick<Metrics, 'reconciled'>;
  /** Tells every instance a campaign changed (after a pass that repaired something). */
  announce?: (campaignId: string) => Promise<void>;
  now?: () => number;
}

export type Repairs = CampaignReport['repairs'];

/**
 * One campaign's pass over one of its buckets (a campaign without buckets has one): what every step
 * reads (the campaign as Postgres holds it, inside the pass' transaction, and what Redis held when the
 * pass began) and where it puts what it repaired and found (shared by the campaign's buckets).
 */
export interface PassContext {
  readonly deps: ReconcilerDeps & { now: () => number };
  readonly id: string;
  /** The bucket's keys (keys.bucket of keys.buckets). */
  readonly keys: CampaignKeys;
  /** Every bucket's keys, for what reaches across them (holds, the rebuild of a user's entries). */
  readonly allKeys: readonly CampaignKeys[];
  /** This bucket's total stock as Postgres records it (set once its journal is recorded, step 3). */
  bucketTotal: number;
  readonly tx: Tx;
  /**
   * The background connection of the master serving the campaign, so the reconciler's reads never queue
   * behind claims, and the run id of the server it is attached to (the fence).
   */
  readonly redis: Redis;
  readonly serverRun: ServerRun;
  /** Tags the job ids of claims this run requeues. */
  readonly tag: string;
  /** The definition; a step that records a stock change updates it. */
  campaign: Campaign;
  /** Redis' copy when the pass began (null: Redis did not hold the campaign). */
  live: LiveCampaign | null;
  /** The counters as one atomic read found them (step 4). */
  found: CountersFound | null;
  /** Claims in Postgres with a sequence number up to found.seq: those that existed at that read. */
  persistedUpTo: number;
  /** Of those, units given back whose return Redis may not have applied yet. */
  returningUpTo: number;
  readonly repairs: Repairs;
  readonly violations: Violation[];
}

export type Step = (ctx: PassContext) => Promise<void>;

export function emptyRepairs(): Repairs {
  return {
    rebuilt: false,
    definitionSynced: false,
    stockChangesRecorded: 0,
    countersFixed: false,
    markedPersisted: 0,
    requeued: 0,
    verifiedRun: false,
    holdsResolved: 0,
    reservationsSettled: 0,
    expired: 0,
    returned: 0,
  };
}
