import { type JobsOptions, Queue } from 'bullmq';
import { z } from 'zod';
import { type Claim, claimSchema } from '../domain/claim.ts';
import type { RedisClient } from '../redis/connections.ts';
import { createBatcher } from '../shared/batcher.ts';
import { uuidv7 } from '../shared/ids.ts';
import type { Logger } from '../shared/logger.ts';

export const PERSIST_QUEUE = 'persist';
export const PERSIST_JOB = 'persist-claims';

/** A persist job carries a batch of accepted claims; validated before the worker touches it. */
export const persistJobSchema = z.object({ claims: z.array(claimSchema).min(1).max(10_000) });
export type PersistJob = z.infer<typeof persistJobSchema>;

/** Retries back off exponentially up to 5 s, for about 80 minutes: long enough to ride out a Postgres outage. */
export const persistJobOptions: JobsOptions = {
  attempts: 1_000,
  backoff: { type: 'capped' },
  removeOnComplete: true,
  removeOnFail: { count: 10_000 },
};

export function persistBackoff(attemptsMade: number): number {
  return Math.min(100 * 2 ** Math.min(attemptsMade, 10), 5_000);
}

export function createPersistQueue(connection: RedisClient, prefix: string): Queue<PersistJob> {
  return new Queue<PersistJob>(PERSIST_QUEUE, { connection, prefix, defaultJobOptions: persistJobOptions });
}

/**
 * Hands accepted claims to the queue in batches. The claim is already durable in Redis (its pending
 * record) when this runs, so a failed enqueue is retried briefly and otherwise left to the reconciler.
 */
export interface PersistProducer {
  /** Fire and forget: the claim has been acknowledged; its pending record is the safety net. */
  submit(claim: Claim): void;
  /** Enqueue now (reconciler); resolves once the jobs are in Redis. */
  enqueue(claims: Claim[], jobIdPrefix?: string): Promise<void>;
  drain(): Promise<void>;
}

const ENQUEUE_RETRY_DELAYS_MS = [50, 200, 800];

export function createPersistProducer(opts: {
  queue: Queue<PersistJob>;
  batchMax: number;
  flushMs: number;
  log: Logger;
}): PersistProducer {
  const { queue, log } = opts;

  const addBatch = async (claims: Claim[], jobIdPrefix: string) => {
    // One id per batch, kept across its retries: a retried add is ignored by BullMQ rather than
    // duplicated. Never derived from the claims: a claim can travel in two batches (a replay hands a
    // pending claim to the queue again), and a second batch under the first one's id would be dropped.
    const jobId = `${jobIdPrefix}-${uuidv7().replaceAll('-', '')}`;
    for (let attempt = 0; ; attempt++) {
      try {
        await queue.add(PERSIST_JOB, { claims }, { jobId });
        return;
      } catch (err) {
        const delay = ENQUEUE_RETRY_DELAYS_MS[attempt];
        if (delay === undefined) throw err;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };

  const batcher = createBatcher<Claim>({
    maxItems: opts.batchMax,
    maxWaitMs: opts.flushMs,
    flush: (claims) => addBatch(claims, 'b'),
    onError: (err, claims) =>
      log.warn('enqueue failed; claims stay pending for the reconciler', {
        claims: claims.length,
        claimIds: claims.slice(0, 20).map((c) => c.id),
        err,
      }),
  });

  return {
    submit(claim) {
      batcher.push(claim);
    },
    async enqueue(claims, jobIdPrefix = 'r') {
      for (let i = 0; i < claims.length; i += opts.batchMax) {
        await addBatch(claims.slice(i, i + opts.batchMax), jobIdPrefix);
      }
    },
    drain: () => batcher.drain(),
  };
}
