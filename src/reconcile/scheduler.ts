import { Queue, Worker } from 'bullmq';
import type { RedisClient } from '../redis/connections.ts';
import type { Logger } from '../shared/logger.ts';
import type { Reconciler } from './reconciler.ts';

export const RECONCILE_QUEUE = 'reconcile';
const SCHEDULER_ID = 'reconcile-all';

export function createReconcileQueue(connection: RedisClient, prefix: string): Queue {
  return new Queue(RECONCILE_QUEUE, { connection, prefix });
}

/**
 * The reconciler's third door: a BullMQ job scheduler on the reconcile queue fires every `everyMs`, and
 * one of the processes running this takes the job. Upserting the scheduler is idempotent, so every
 * worker process does it at start. The reconciler itself is safe to run twice at once (per-campaign
 * lock), which covers the known scheduler races.
 */
export async function startReconcileScheduler(opts: {
  queue: Queue;
  /** The worker's connection (BullMQ duplicates it for its blocking reads). */
  connection: RedisClient;
  everyMs: number;
  reconciler: Reconciler;
  log: Logger;
}): Promise<{ ensure(): Promise<void>; close(): Promise<void> }> {
  const { queue } = opts;
  const upsert = () =>
    queue.upsertJobScheduler(
      SCHEDULER_ID,
      { every: opts.everyMs },
      { name: 'reconcile', opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
  await upsert();
  /**
   * The schedule lives in Redis: a Redis that lost its data lost it too. Checked as often as it fires (and
   * when a server changes run), and put back when missing, so scheduled passes resume by themselves.
   */
  const ensure = async () => {
    if (!(await queue.getJobScheduler(SCHEDULER_ID))) {
      opts.log.warn('the reconcile schedule was missing from Redis; put back');
      await upsert();
    }
  };
  const check = setInterval(
    () => {
      ensure().catch((err: unknown) => opts.log.debug('reconcile schedule not checked', { err }));
    },
    Math.max(opts.everyMs, 1_000),
  );
  check.unref();
  const stopping = new AbortController();
  const worker = new Worker(
    RECONCILE_QUEUE,
    async () => {
      const report = await opts.reconciler.run({ trigger: 'schedule', signal: stopping.signal });
      return { runId: report.runId, ok: report.ok };
    },
    { connection: opts.connection, prefix: queue.opts.prefix, concurrency: 1 },
  );
  worker.on('error', (err) => opts.log.warn('reconcile worker error', { err }));
  worker.on('failed', (_job, err) => opts.log.warn('scheduled reconciliation failed', { err }));
  return {
    ensure,
    async close() {
      clearInterval(check);
      // A pass in progress stops after its current campaign instead of holding shutdown up.
      stopping.abort();
      await worker.close();
    },
  };
}
