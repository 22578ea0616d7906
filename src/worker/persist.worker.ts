import { type Job, Worker } from 'bullmq';
import type { ClaimsRepo, InsertOutcome } from '../db/claims.repo.ts';
import { type Claim, claimPlace } from '../domain/claim.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { PERSIST_QUEUE, type PersistJob, persistBackoff, persistJobSchema } from '../queue/persist.queue.ts';
import type { RedisClient } from '../redis/connections.ts';
import { campaignKeys } from '../redis/keys.ts';
import type { RedisRouter } from '../redis/router.ts';
import { scripts } from '../redis/scripts/index.ts';
import { createBatcher } from '../shared/batcher.ts';
import type { Logger } from '../shared/logger.ts';

export interface PersistDeps {
  repo: ClaimsRepo;
  /** Each campaign's claims are marked on the master that serves it (its background connection). */
  redis: RedisRouter;
  keyPrefix: string;
  log: Logger;
  /** Observes the persistence lag of the claims this process commits. */
  metrics?: Pick<Metrics, 'persisted'>;
  /** A campaign whose Redis state turned out to be behind Postgres (it is fenced; start its rebuild). */
  onBehind?: (campaignId: string) => void;
}

/** The request ids of a job's claims, for its log lines (bounded: a batch can hold hundreds). */
const requestIds = (claims: readonly Claim[]) =>
  claims.flatMap((c) => (c.requestId ? [c.requestId] : [])).slice(0, 20);

/** Claims grouped by the bucket (of a campaign) that sold them: where their records are marked. */
function byBucket(items: Claim[]): Map<string, Claim[]> {
  const out = new Map<string, Claim[]>();
  for (const item of items) {
    const { bucket, buckets } = claimPlace(item);
    const key = `${item.campaignId}\0${bucket}\0${buckets}`;
    const list = out.get(key);
    if (list) list.push(item);
    else out.set(key, [item]);
  }
  return out;
}

/**
 * Writes claims to Postgres, then tells Redis the outcome per campaign (per bucket that sold them): committed claims leave the
 * pending set (and their records go), refused ones are filed with their reason for the reconciler. Safe
 * to run twice for the same claims: the INSERT skips rows that exist, and the Redis side is idempotent.
 * Returns what Postgres refused.
 */
export async function persistClaims(deps: PersistDeps, batch: Claim[]): Promise<InsertOutcome['refused']> {
  const { inserted, alreadyPresent, refused } = await deps.repo.insertMany(batch);
  const confirmed = new Set([...inserted, ...alreadyPresent]);
  if (deps.metrics && inserted.length > 0) {
    // Rows already present were counted by whoever wrote them first.
    const fresh = new Set(inserted);
    deps.metrics.persisted(batch.filter((c) => fresh.has(c.id)));
  }
  const why = new Map(refused.map((r) => [r.id, r.reason]));
  await Promise.all(
    [...byBucket(batch).values()].map(async (claims) => {
      const committed = claims.filter((c) => confirmed.has(c.id));
      const refusals = claims.flatMap((c) => (why.has(c.id) ? [{ id: c.id, reason: why.get(c.id)! }] : []));
      const { campaignId } = claims[0]!;
      const { bucket, buckets } = claimPlace(claims[0]!);
      const keys = campaignKeys(deps.keyPrefix, campaignId, bucket, buckets);
      const node = deps.redis.nodeFor(keys.meta);
      if (await scripts.markPersisted(node.background, keys, committed, refusals)) {
        deps.log.warn('redis is behind postgres for this campaign; fenced until rebuilt', { campaignId });
        deps.onBehind?.(campaignId);
      }
    }),
  );
  if (refused.length > 0) {
    const requestOf = new Map(batch.map((c) => [c.id, c.requestId]));
    deps.log.error('postgres refused claims; filed for the reconciler', {
      refused: refused.slice(0, 50).map((r) => ({ ...r, requestId: requestOf.get(r.id) })),
    });
  }
  return refused;
}

/**
 * A BullMQ worker whose concurrent jobs share multi-row INSERTs: each job hands its claims to one
 * batcher and completes when the flush that carried them has committed and been marked in Redis.
 */
export function createPersistWorker(
  deps: PersistDeps & { connection: RedisClient; queuePrefix: string; concurrency: number; batchMax: number },
): Worker<PersistJob> {
  const batcher = createBatcher<Claim>({
    maxItems: deps.batchMax,
    maxWaitMs: 2,
    flush: async (claims) => {
      await persistClaims(deps, claims);
    },
  });
  const worker = new Worker<PersistJob>(
    PERSIST_QUEUE,
    async (job: Job<PersistJob>) => {
      const { claims } = persistJobSchema.parse(job.data);
      await batcher.add(claims);
      if (deps.log.enabled('debug'))
        deps.log.debug('claims persisted', {
          jobId: job.id,
          claims: claims.length,
          requestIds: requestIds(claims),
        });
      return { persisted: claims.length };
    },
    {
      connection: deps.connection,
      prefix: deps.queuePrefix,
      concurrency: deps.concurrency,
      // A batch is written in milliseconds: a 10 s lock (30 s by default) hands a dead worker's jobs to
      // another one sooner (the stalled check runs every 5 s).
      lockDuration: 10_000,
      stalledInterval: 5_000,
      settings: { backoffStrategy: persistBackoff },
    },
  );
  worker.on('error', (err) => deps.log.warn('persist worker error', { err }));
  worker.on('failed', (job, err) => {
    if (job && job.attemptsMade % 10 === 1)
      deps.log.warn('persist job failed, will retry', {
        jobId: job.id,
        requestIds: requestIds(job.data?.claims ?? []),
        err,
      });
  });
  return worker;
}
