import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ClaimsRepo } from '../db/claims.repo.ts';
import { sqlState } from '../db/outage.ts';
import type { Claim } from '../domain/claim.ts';
import { PERSIST_QUEUE, type PersistJob, persistBackoff, persistJobSchema } from '../queue/persist.queue.ts';
import { campaignKeys } from '../redis/keys.ts';
import { createBatcher } from '../shared/batcher.ts';
import type { Logger } from '../shared/logger.ts';

export interface PersistDeps {
  repo: ClaimsRepo;
  redis: Redis;
  keyPrefix: string;
  log: Logger;
}

/**
 * Writes claims to Postgres, then removes them from their campaign's pending set. Safe to run twice
 * for the same claims: the INSERT skips rows that exist, and removing an absent member is a no-op.
 * Returns the ids Postgres refused (a unique conflict under another id); they stay pending and the
 * reconciler reports them.
 */
export async function persistClaims(deps: PersistDeps, batch: Claim[]): Promise<string[]> {
  const { inserted, alreadyPresent, refused } = await insertIsolatingBadRows(deps.repo, batch);
  const confirmed = new Set([...inserted, ...alreadyPresent]);
  const byCampaign = new Map<string, string[]>();
  for (const c of batch) {
    if (!confirmed.has(c.id)) continue;
    const ids = byCampaign.get(c.campaignId);
    if (ids) ids.push(c.id);
    else byCampaign.set(c.campaignId, [c.id]);
  }
  await Promise.all(
    [...byCampaign].map(([campaignId, ids]) =>
      deps.redis.zrem(campaignKeys(deps.keyPrefix, campaignId).pending, ...ids),
    ),
  );
  if (refused.length > 0) {
    deps.log.error('claims refused by a unique constraint; left pending for the reconciler', { refused });
  }
  return refused;
}

/**
 * A data error (integrity or check violation, SQLSTATE class 22/23) on the multi-row INSERT would fail
 * every claim in it forever; retry row by row so one bad claim cannot hold back the rest.
 */
async function insertIsolatingBadRows(repo: ClaimsRepo, batch: Claim[]) {
  try {
    return await repo.insertMany(batch);
  } catch (err) {
    const state = sqlState(err) ?? '';
    if (!/^2[23]/.test(state) || batch.length === 1) {
      if (/^2[23]/.test(state)) return { inserted: [], alreadyPresent: [], refused: [batch[0]!.id] };
      throw err;
    }
    const outcome = { inserted: [] as string[], alreadyPresent: [] as string[], refused: [] as string[] };
    for (const claim of batch) {
      const one = await insertIsolatingBadRows(repo, [claim]);
      outcome.inserted.push(...one.inserted);
      outcome.alreadyPresent.push(...one.alreadyPresent);
      outcome.refused.push(...one.refused);
    }
    return outcome;
  }
}

/**
 * A BullMQ worker whose concurrent jobs share multi-row INSERTs: each job hands its claims to one
 * batcher and completes when the flush that carried them has committed and been marked in Redis.
 */
export function createPersistWorker(
  deps: PersistDeps & { connection: Redis; queuePrefix: string; concurrency: number; batchMax: number },
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
      return { persisted: claims.length };
    },
    {
      connection: deps.connection,
      prefix: deps.queuePrefix,
      concurrency: deps.concurrency,
      settings: { backoffStrategy: persistBackoff },
    },
  );
  worker.on('error', (err) => deps.log.warn('persist worker error', { err }));
  worker.on('failed', (job, err) => {
    if (job && job.attemptsMade % 10 === 1)
      deps.log.warn('persist job failed, will retry', { jobId: job.id, err });
  });
  return worker;
}
