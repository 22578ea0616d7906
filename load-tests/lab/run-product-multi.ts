import { mintTokens } from '../lib/api.ts';
import { tally } from './count.ts';
import { driveScenario } from './drive.ts';
import { LAB_JWT_SECRET, startProductFleet } from './product-fleet.ts';
import { type RunResult, resultOf } from './result.ts';
import { PRODUCT_ID } from './run-product.ts';
import { itemsOf, type LabScenario } from './scenario.ts';
import { newCounters } from './strategies/strategy.ts';

const TITLE = '7. product: gift packs';
const CREATE_CONCURRENCY = 50;

/** Runs `work` over `items`, `n` at a time. */
async function inBatches<T>(items: T[], n: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += n) await Promise.all(items.slice(i, i + n).map(work));
}

/**
 * The multi-item scenario on the product: each product is a campaign of `stock` coupons, each user's
 * order is a gift pack of their `itemsPerOrder` campaigns (defined before the run), pressed once (twice
 * at once for the impatient). Judged like the strategies: from Postgres' rows (one order = one press,
 * its claims the order's lines) and the stock Redis reports after the worker drained.
 */
export async function runProductMulti(opts: {
  scenario: LabScenario;
  basePort: number;
  onLine?: (name: string, line: string) => void;
  drainTimeoutMs?: number;
}): Promise<RunResult> {
  const s = opts.scenario;
  const { fleet, admin, sql, stop } = await startProductFleet({
    name: 'labpacks',
    instances: s.instances,
    basePort: opts.basePort,
    onLine: opts.onLine,
  });
  try {
    const campaign = (p: number) => `lab-p${p}`;
    const products = Array.from({ length: s.products }, (_, i) => i + 1);
    await inBatches(products, CREATE_CONCURRENCY, (p) =>
      admin.createCampaign({ id: campaign(p), totalStock: s.stock, perUserLimit: 1 }),
    );
    const users = Array.from({ length: s.users }, (_, u) => u);
    await inBatches(users, CREATE_CONCURRENCY, (u) =>
      admin.createBundle({ id: `lab-o${u}`, campaignIds: itemsOf(u, s).map(campaign) }),
    );
    const tokens = mintTokens(LAB_JWT_SECRET, 'm', s.users);
    const driven = await driveScenario({
      scenario: s,
      bases: fleet.urls,
      request: ({ user, base }) => ({
        base,
        method: 'POST',
        path: `/v1/bundles/lab-o${user}/claims`,
        headers: { authorization: `Bearer ${tokens[user]}` },
      }),
      placedId: (_, res) => (JSON.parse(res.body) as { bundleClaimId: string }).bundleClaimId,
    });

    const until = Date.now() + (opts.drainTimeoutMs ?? 60_000);
    const final = new Map<number, number>();
    for (const p of products) {
      let stats = await admin.stats(campaign(p));
      while (stats.pending > 0 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
        stats = await admin.stats(campaign(p));
      }
      final.set(p, stats.remaining);
    }
    const rows = await sql<{ order_id: string; user_id: string; campaign_id: string }[]>`
      select bundle_claim_id as order_id, user_id, campaign_id from claims where bundle_claim_id is not null`;
    const counts = tally(
      {
        initial: new Map(products.map((p) => [p, s.stock])),
        final,
        lines: rows.map((r) => ({
          orderId: r.order_id,
          // One pack per user in this scenario: a user's two presses must not both succeed.
          userId: r.user_id,
          productId: Number(r.campaign_id.slice('lab-p'.length)),
        })),
      },
      s.itemsPerOrder,
      new Set(driven.acked.keys()),
    );
    return resultOf({
      strategy: PRODUCT_ID,
      title: TITLE,
      variant: 'multi',
      instances: s.instances,
      driven,
      counters: newCounters(),
      tally: counts,
    });
  } finally {
    await stop();
  }
}
