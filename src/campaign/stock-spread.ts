import { planRemoval, spreadAddition } from '../domain/buckets.ts';
import type { Campaign } from '../domain/campaign.ts';
import type { StockEntry } from '../domain/stock.ts';
import { allBucketKeys, type CampaignKeys } from '../redis/keys.ts';
import type { RedisRouter } from '../redis/router.ts';
import { scripts } from '../redis/scripts/index.ts';
import type { AdjustStockResult } from '../redis/scripts/stock.ts';
import { uuidFromText } from '../shared/ids.ts';

export interface SpreadDeps {
  redis: RedisRouter;
  keyPrefix: string;
}

/** What applying a change in Redis ended with: the entries to record, or why it stopped. */
export type SpreadOutcome =
  | { kind: 'applied'; entries: StockEntry[]; replayed: boolean }
  | { kind: 'insufficient'; remaining: number; entries: StockEntry[] }
  | { kind: 'not_found' | 'rebuilding'; entries: StockEntry[] };

interface Plan {
  parts: number[];
  failed?: true;
}

const partId = (adjustmentId: string, bucket: number, what: 'part' | 'undo') =>
  uuidFromText(`${adjustmentId}\0${bucket}\0${what}`);

async function remainingPerBucket(deps: SpreadDeps, buckets: CampaignKeys[]): Promise<number[]> {
  return Promise.all(
    buckets.map(async (k) => Number((await deps.redis.run(k.meta, (r) => r.hget(k.meta, 'remaining'))) ?? 0)),
  );
}

/**
 * The change's plan, made once and kept in bucket 0: an addition in equal parts, a removal from the
 * fullest buckets. A retry of the same adjustment (the same Idempotency-Key) follows the same plan, so
 * no bucket's part is applied twice however often it is sent.
 */
async function planFor(deps: SpreadDeps, buckets: CampaignKeys[], id: string, delta: number) {
  const home = buckets[0]!;
  const stored = await deps.redis.run(home.meta, (r) => r.hget(home.stockPlans, id));
  if (stored) return JSON.parse(stored) as Plan;
  let parts: number[] | null;
  if (delta > 0)
    parts = spreadAddition(delta, buckets.length, Number.parseInt(id.slice(0, 8), 16) % buckets.length);
  else {
    const remaining = await remainingPerBucket(deps, buckets);
    parts = planRemoval(-delta, remaining)?.map((p) => -p) ?? null;
    if (!parts) return { remaining: remaining.reduce((a, b) => a + b, 0) };
  }
  await deps.redis.run(home.meta, (r) => r.hsetnx(home.stockPlans, id, JSON.stringify({ parts })));
  return JSON.parse((await deps.redis.run(home.meta, (r) => r.hget(home.stockPlans, id))) ?? '') as Plan;
}

const apply = (
  deps: SpreadDeps,
  keys: CampaignKeys,
  id: string,
  delta: number,
  actor: string,
  group: string,
) =>
  deps.redis.run(
    keys.meta,
    (r, runId): Promise<AdjustStockResult> =>
      scripts.adjustStock(r, keys, { adjustmentId: id, delta, actor, runId, group }),
  );

/**
 * A stock change of a campaign with several buckets, applied bucket by bucket (each part atomic with the
 * claims of its bucket, and journaled there). A removal part refused because claims took the stock
 * meanwhile undoes the parts applied before it (journaled too) and the change is refused as a whole.
 */
export async function applySpread(
  deps: SpreadDeps,
  campaign: Campaign,
  adjustmentId: string,
  delta: number,
  actor: string,
): Promise<SpreadOutcome> {
  const buckets = allBucketKeys(deps.keyPrefix, campaign.id, campaign.buckets);
  const plan = await planFor(deps, buckets, adjustmentId, delta);
  if ('remaining' in plan) return { kind: 'insufficient', remaining: plan.remaining, entries: [] };
  if (plan.failed) {
    const remaining = (await remainingPerBucket(deps, buckets)).reduce((a, b) => a + b, 0);
    return { kind: 'insufficient', remaining, entries: [] };
  }
  const entries: StockEntry[] = [];
  let replayed = true;
  for (const [b, part] of plan.parts.entries()) {
    if (part === 0) continue;
    const r = await apply(deps, buckets[b]!, partId(adjustmentId, b, 'part'), part, actor, adjustmentId);
    if (r.kind === 'applied' || r.kind === 'replayed') {
      entries.push(r.entry);
      replayed &&= r.kind === 'replayed';
      continue;
    }
    if (r.kind !== 'insufficient') return { kind: r.kind, entries };
    for (const done of [...entries]) {
      const bucket = done.bucket ?? 0;
      const undo = await apply(
        deps,
        buckets[bucket]!,
        partId(adjustmentId, bucket, 'undo'),
        -done.delta,
        actor,
        adjustmentId,
      );
      if (undo.kind === 'applied' || undo.kind === 'replayed') entries.push(undo.entry);
    }
    const home = buckets[0]!;
    await deps.redis.run(home.meta, (r) =>
      r.hset(home.stockPlans, adjustmentId, JSON.stringify({ ...plan, failed: true })),
    );
    const remaining = (await remainingPerBucket(deps, buckets)).reduce((a, c) => a + c, 0);
    return { kind: 'insufficient', remaining, entries };
  }
  return { kind: 'applied', entries, replayed };
}

/** The operator's view of a spread change: one entry for the whole campaign, as it stands after it. */
export function combinedEntry(
  id: string,
  entries: StockEntry[],
  after: Campaign,
  remainingAfter: number,
): StockEntry {
  const delta = entries.reduce((n, e) => n + e.delta, 0);
  return {
    id,
    delta,
    actor: entries[0]?.actor ?? '',
    at: Math.max(0, ...entries.map((e) => e.at)),
    totalBefore: after.totalStock - delta,
    totalAfter: after.totalStock,
    remainingAfter,
  };
}
