import postgres from 'postgres';
import { adminClient, mintTokens } from '../lib/api.ts';
import { startFleet } from '../lib/fleet.ts';
import { scratch } from '../lib/scratch.ts';
import { summarize } from '../lib/stats.ts';
import { tally } from './count.ts';
import { driveScenario } from './drive.ts';
import { type RunResult, resultOf } from './result.ts';
import { type LabScenario, warmUpOf } from './scenario.ts';
import { newCounters } from './strategies/strategy.ts';

export const PRODUCT_ID = 'product';
const TITLE = '7. product: Lua gate + queue';

/**
 * Strategy 7, the product itself: `instances` API processes and one worker (src/main.ts, as deployed),
 * a campaign of `stock` coupons, the same arrivals. Reported twice: at the acknowledgement (the client's
 * 201) and at persistence (the claim's row in Postgres, written by the worker in batches).
 */
export async function runProduct(opts: {
  scenario: LabScenario;
  basePort: number;
  onLine?: (name: string, line: string) => void;
  drainTimeoutMs?: number;
  warmUp: boolean;
}): Promise<RunResult[]> {
  const s = opts.scenario;
  if (s.products !== 1 || s.itemsPerOrder !== 1) throw new Error('the product sells one coupon per claim');
  const resources = scratch('labproduct');
  const env = {
    DATABASE_URL: resources.databaseUrl,
    REDIS_PREFIX: resources.prefix,
    ADMIN_TOKEN: 'lab-admin-token',
    JWT_SECRET: 'lab-jwt-secret',
    LOG_LEVEL: 'warn',
    // Each user presses at most twice; the per-user limiter is not what is measured here.
    RATE_LIMIT_PER_SECOND: '100000',
  };
  const fleet = await startFleet({
    apis: s.instances,
    workers: 1,
    basePort: opts.basePort,
    env,
    ...(opts.onLine ? { onLine: opts.onLine } : {}),
  });
  const sql = postgres(resources.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const admin = adminClient(fleet.urls[0]!, env.ADMIN_TOKEN);
    const drive = async (campaignId: string, scenario: LabScenario, users: string) => {
      await admin.createCampaign({ id: campaignId, totalStock: scenario.stock, perUserLimit: 1 });
      // Signed before the run, so the load generator's CPU is not charged to the claim path.
      const tokens = mintTokens(env.JWT_SECRET, users, scenario.users);
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
    const campaignId = 'lab';
    const driven = await drive(campaignId, s, 'u');

    const stats = await drained(campaignId);
    const rows = await sql<{ id: string; user_id: string; persisted_ms: string }[]>`
      select id, user_id, extract(epoch from persisted_at) * 1000 as persisted_ms
      from claims where campaign_id = ${campaignId}`;
    const counts = tally(
      {
        initial: new Map([[1, s.stock]]),
        // The product's stock lives in Redis; Postgres holds the claims it must match.
        final: new Map([[1, stats.remaining]]),
        lines: rows.map((r) => ({ orderId: r.id, userId: r.user_id, productId: 1 })),
      },
      1,
      new Set(driven.acked.keys()),
    );
    const ack = resultOf({
      strategy: PRODUCT_ID,
      title: TITLE,
      variant: 'single',
      instances: s.instances,
      driven,
      counters: newCounters(),
      tally: counts,
    });
    const lastPersisted = Math.max(0, ...rows.map((r) => Number(r.persisted_ms)));
    const persistedS = (lastPersisted - driven.wallStart) / 1000;
    const persisted: RunResult = {
      ...ack,
      stage: 'persisted',
      placed: rows.length,
      claimsPerSecond: persistedS > 0 ? rows.length / persistedS : 0,
      // From the moment the claim was due to the moment its row was written.
      latency: summarize(
        rows.flatMap((r) => {
          const due = driven.acked.get(r.id);
          return due === undefined ? [] : [Number(r.persisted_ms) - due];
        }),
      ),
    };
    return [{ ...ack, stage: 'acknowledged' }, persisted];
  } finally {
    await sql.end({ timeout: 2 });
    await fleet.stop();
    await resources.cleanup();
  }
}
