import { recordStockChange } from '../../campaign/campaign.stock.ts';
import { decodeStockEntry } from '../../redis/records/stock-entry.ts';
import type { PassContext } from '../context.ts';

/**
 * Step 3: stock changes Redis applied and journaled but Postgres never recorded (a crash in between);
 * then the bucket's total as Postgres records it, which the counters are judged against.
 */
export async function recordStockJournal(ctx: PassContext): Promise<void> {
  const { deps, tx } = ctx;
  const entries = Object.values(await ctx.redis.hgetall(ctx.keys.journal)).map(decodeStockEntry);
  const recorded = await deps.repos.changes.recordedStock(
    tx,
    entries.map((e) => e.id),
  );
  for (const entry of entries.filter((e) => !recorded.has(e.id)).sort((a, b) => a.at - b.at)) {
    const campaign = await recordStockChange(tx, deps.repos, ctx.id, entry, { recordedBy: 'reconciler' });
    if (!campaign) continue;
    ctx.campaign = campaign;
    ctx.repairs.stockChangesRecorded++;
  }
  ctx.bucketTotal =
    ctx.keys.buckets === 1
      ? ctx.campaign.totalStock
      : ((await deps.repos.changes.bucketTotals(tx, ctx.id, ctx.campaign.totalStock, ctx.keys.buckets))[
          ctx.keys.bucket
        ] ?? 0);
  const n = ctx.repairs.stockChangesRecorded;
  if (n > 0 && ctx.keys.bucket === ctx.keys.buckets - 1) {
    ctx.violations.push({
      invariant: 'stock',
      message: `${n} stock changes applied in Redis were missing from Postgres; recorded`,
      values: { recorded: n },
      repaired: true,
    });
  }
}
