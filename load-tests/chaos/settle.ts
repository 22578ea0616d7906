import type { CampaignReport, RunReport } from '../../src/reconcile/report.ts';
import { sleep } from './scenario.ts';
import { ADMIN_TOKEN, type World } from './world.ts';

interface Stats {
  totalStock: number;
  remaining: number;
  claimed: number;
  persisted: number;
  pending: number;
  queue: { waiting: number; active: number; delayed: number; failed: number };
}

export interface Settled {
  /** From the start of the settling to an empty queue with nothing pending. */
  drainMs: number;
  queueDrained: boolean;
  /** A manual reconciliation reported the campaign drained (I6). */
  drained: boolean;
  reconcilePasses: number;
  lastStats?: Stats;
  lastReport?: CampaignReport;
  /** Broken expectations (the run fails). */
  problems: string[];
  /** Observations. */
  notes: string[];
}

const STALLED_ACTIVE_MS = 10_000;

/** One admin call on any live instance (the first that answers 200), or undefined. */
async function adminCall<T>(world: World, method: 'GET' | 'POST', path: string, body?: unknown) {
  for (const base of world.liveBases()) {
    try {
      const res = await fetch(`${base}/v1/admin${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });
      if (res.ok) return (await res.json()) as T;
      await res.body?.cancel();
    } catch {
      // try the next instance
    }
  }
  return undefined;
}

/**
 * After the traffic: heal everything, wait (bounded) until the campaign has nothing pending and an empty
 * queue, then run the reconciler on demand until a report says the campaign is drained (bounded).
 */
export async function settle(
  world: World,
  campaignId: string,
  opts: { drainTimeoutMs?: number; reconcileTimeoutMs?: number } = {},
): Promise<Settled> {
  world.postgresProxy.restore();
  world.redis.primary.thaw();
  world.redis.replica?.thaw();
  const problems: string[] = [];
  const notes: string[] = [];
  const started = Date.now();
  let lastStats: Stats | undefined;
  let queueDrained = false;
  let stalledSince: number | undefined;
  while (Date.now() - started < (opts.drainTimeoutMs ?? 90_000)) {
    if (world.liveBases().length === 0) {
      problems.push('no API process is left to ask');
      return {
        drainMs: Date.now() - started,
        queueDrained,
        drained: false,
        reconcilePasses: 0,
        problems,
        notes,
      };
    }
    lastStats = await adminCall<Stats>(world, 'GET', `/campaigns/${campaignId}/stats`);
    const q = lastStats?.queue;
    if (lastStats && q && lastStats.pending === 0 && q.waiting + q.active + q.delayed === 0) {
      queueDrained = true;
      break;
    }
    // Every claim is in Postgres, yet a job stays "active": BullMQ only moves it back once its lock expires
    // (30 s) and a stalled check runs. It carries nothing left to store; waiting for it measures BullMQ.
    const stalled = lastStats && q && lastStats.pending === 0 && q.waiting + q.delayed === 0;
    if (stalled && q.active > 0 && lastStats!.persisted === lastStats!.claimed) {
      stalledSince ??= Date.now();
      if (Date.now() - stalledSince >= STALLED_ACTIVE_MS) {
        notes.push(
          `queue.active stayed ${q.active} for ${STALLED_ACTIVE_MS / 1000} s with nothing pending and persisted = claimed (a job stalled in BullMQ's active list); not waited for`,
        );
        break;
      }
    } else stalledSince = undefined;
    await sleep(250);
  }
  const drainMs = Date.now() - started;
  if (!queueDrained && notes.length === 0)
    problems.push(`not drained after ${drainMs} ms: ${JSON.stringify(lastStats)}`);

  let lastReport: CampaignReport | undefined;
  let passes = 0;
  const reconcileStarted = Date.now();
  while (Date.now() - reconcileStarted < (opts.reconcileTimeoutMs ?? 30_000)) {
    passes++;
    const report = await adminCall<RunReport>(world, 'POST', '/reconcile', { campaignId });
    lastReport = report?.campaigns.find((c) => c.campaignId === campaignId) ?? lastReport;
    if (report?.campaigns.find((c) => c.campaignId === campaignId)?.drained) break;
    await sleep(1_000);
  }
  const drained = lastReport?.drained === true;
  if (!drained) problems.push(`the reconciler never reported the campaign drained (${passes} passes)`);
  const left = lastReport?.violations.filter((v) => !v.repaired) ?? [];
  for (const v of left) problems.push(`unrepaired ${v.invariant}: ${v.message}`);
  return { drainMs, queueDrained, drained, reconcilePasses: passes, lastStats, lastReport, problems, notes };
}
