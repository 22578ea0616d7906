import { mintTokens } from '../lib/api.ts';
import { runClosedLoop } from '../lib/driver.ts';
import { summarize } from '../lib/stats.ts';
import { tally } from './count.ts';
import { driveScenario } from './drive.ts';
import { LAB_JWT_SECRET, startProductFleet } from './product-fleet.ts';
import { capacityResultOf, type RunResult, resultOf } from './result.ts';
import { CAPACITY_STOCK, type LabCapacity, type LabScenario, warmUpOf } from './scenario.ts';
import { newCounters } from './strategies/strategy.ts';

export const PRODUCT_ID = 'product';
const TITLE = '7. product: Lua gate + queue';

/**
 * Strategy 7, the product itself: `instances` API processes and one worker (src/main.ts, as deployed),
 * a campaign of `stock` coupons, the same arrivals. Reported twice: at the acknowledgement (the client's
 * 201) and at persistence (the claim's row in Postgres, written by the worker in batches). Then, when
 * asked, its capacity the same way as the other strategies', on a campaign whose stock never runs out,
 * with the worker persisting as it goes.
 */
export async function runProduct(opts: {
  scenario: LabScenario;
  basePort: number;
  onLine?: (name: string, line: string) => void;
  drainTimeoutMs?: number;
  warmUp: boolean;
  capacity?: LabCapacity;
}): Promise<RunResult[]> {
  const s = opts.scenario;
  if (s.products !== 1 || s.itemsPerOrder !== 1) throw new Error('the product sells one coupon per claim');
  const { fleet, admin, sql, stop } = await startProductFleet({
    name: 'labproduct',
    instances: s.instances,
    basePort: opts.basePort,
    onLine: opts.onLine,
  });
  try {
    const drive = async (campaignId: string, scenario: LabScenario, users: string) => {
      await admin.createCampaign({ id: campaignId, totalStock: scenario.stock, perUserLimit: 1 });
      // Signed before the run, so the load generator's CPU is not charged to the claim path.
      const tokens = mintTokens(LAB_JWT_SECRET, users, scenario.users);
      return driveScenario({
        scenario,
        bases: fleet.urls,
        request: ({ user, base }) => ({
          base,
          method: 'POST',
          path: `/v1/campaigns/${campaignId}/claims`,
          headers: { authorization: `Bearer ${tokens[user]}` },
        }),
        placedId: (_, res) => (JSON.parse(res.body) as { claim: { id: string } }).claim.id,
      });
    };
    /** Waits until the worker has persisted every claim of the campaign (bounded). */
    const drained = async (id: string) => {
      const until = Date.now() + (opts.drainTimeoutMs ?? 60_000);
      let stats = await admin.stats(id);
      while (stats.pending > 0 || stats.queue.waiting + stats.queue.active + stats.queue.delayed > 0) {
        if (Date.now() > until) break;
        await new Promise((r) => setTimeout(r, 100));
        stats = await admin.stats(id);
      }
      return stats;
    };
    // The same warm-up as the other strategies get, on a campaign of its own, persisted before the run.
    if (opts.warmUp) {
      await drive('lab-warm-up', warmUpOf(s), 'w');
      await drained('lab-warm-up');
    }

    /** The campaign's rows in Postgres, and the verdict on them against what the clients were told. */
    const persistedRows = async (id: string, stock: number, acked: ReadonlySet<string>) => {
      const stats = await drained(id);
      const rows = await sql<{ id: string; user_id: string; persisted_ms: string }[]>`
        select id, user_id, extract(epoch from persisted_at) * 1000 as persisted_ms
        from claims where campaign_id = ${id}`;
      const counts = tally(
        {
          initial: new Map([[1, stock]]),
          // The product's stock lives in Redis; Postgres holds the claims it must match.
          final: new Map([[1, stats.remaining]]),
          lines: rows.map((r) => ({ orderId: r.id, userId: r.user_id, productId: 1 })),
        },
        1,
        acked,
      );
      return { rows, counts };
    };
    /** The same run seen at persistence: rows per second from `wallStart`, latency from send to row. */
    const atPersistence = (
      ack: RunResult,
      rows: { id: string; persisted_ms: string }[],
      wallStart: number,
      sentAt: ReadonlyMap<string, number>,
    ): RunResult => {
      const lastPersisted = rows.reduce((m, r) => Math.max(m, Number(r.persisted_ms)), 0);
      const persistedS = (lastPersisted - wallStart) / 1000;
      return {
        ...ack,
        stage: 'persisted',
        placed: rows.length,
        claimsPerSecond: persistedS > 0 ? rows.length / persistedS : 0,
        latency: summarize(
          rows.flatMap((r) => {
            const due = sentAt.get(r.id);
            return due === undefined ? [] : [Number(r.persisted_ms) - due];
          }),
        ),
      };
    };

    const campaignId = 'lab';
    const driven = await drive(campaignId, s, 'u');
    const storm = await persistedRows(campaignId, s.stock, new Set(driven.acked.keys()));
    const ack = resultOf({
      strategy: PRODUCT_ID,
      title: TITLE,
      variant: 'single',
      instances: s.instances,
      driven,
      counters: newCounters(),
      tally: storm.counts,
    });
    // Persisted latency runs from the moment the claim was due to the moment its row was written.
    const results = [
      { ...ack, stage: 'acknowledged' as const },
      atPersistence(ack, storm.rows, driven.wallStart, driven.acked),
    ];
    if (opts.capacity) results.push(...(await capacityOf(opts.capacity)));
    return results;

    /** Every request a new user's claim on a campaign whose stock never runs out, the worker persisting. */
    async function capacityOf(capacity: LabCapacity): Promise<RunResult[]> {
      const id = 'lab-capacity';
      await admin.createCampaign({ id, totalStock: CAPACITY_STOCK, perUserLimit: 1 });
      // More than this machine serves: 25,000 claims a second.
      const tokens = mintTokens(LAB_JWT_SECRET, 'k', 25_000 * capacity.seconds);
      const sentAt = new Map<string, number>();
      const wallStart = Date.now();
      const loop = await runClosedLoop({
        bases: fleet.urls,
        connectionsPerBase: capacity.connectionsPerBase,
        seconds: capacity.seconds,
        graceMs: s.timeoutMs,
        request: (n, base) =>
          n < tokens.length
            ? {
                base,
                method: 'POST',
                path: `/v1/campaigns/${id}/claims`,
                headers: { authorization: `Bearer ${tokens[n]}` },
              }
            : undefined,
        onAnswer: (_, res) => {
          if (res.status === 201)
            sentAt.set(
              (JSON.parse(res.body) as { claim: { id: string } }).claim.id,
              Date.now() - res.latencyMs,
            );
        },
      });
      if (loop.exhausted > 0)
        throw new Error(`the capacity run used all ${tokens.length} tokens: raise the budget`);
      const { rows, counts } = await persistedRows(id, CAPACITY_STOCK, new Set(sentAt.keys()));
      const capAck = capacityResultOf({
        strategy: PRODUCT_ID,
        title: TITLE,
        instances: s.instances,
        loop,
        counters: newCounters(),
        tally: counts,
      });
      return [{ ...capAck, stage: 'acknowledged' }, atPersistence(capAck, rows, wallStart, sentAt)];
    }
  } finally {
    await stop();
  }
}
