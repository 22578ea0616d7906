import type { CampaignsRepo } from '../db/campaigns.repo.ts';
import type { ChangesRepo } from '../db/changes.repo.ts';
import type { Database, Tx } from '../db/client.ts';
import type { Campaign } from '../domain/campaign.ts';
import type { StockEntry } from '../domain/stock.ts';
import { allBucketKeys, campaignKeys } from '../redis/keys.ts';
import type { RedisRouter } from '../redis/router.ts';
import { scripts } from '../redis/scripts/index.ts';
import { AppError, UnavailableError } from '../shared/errors.ts';
import { uuidFromText, uuidv7 } from '../shared/ids.ts';
import { campaignNotFound } from './campaign.read.ts';
import { type Actor, campaignWrite } from './operator.ts';
import { applySpread, combinedEntry, type SpreadOutcome } from './stock-spread.ts';

export interface StockChangeResult {
  adjustment: StockEntry;
  campaign: Campaign;
  /** True when this answer replays an adjustment made earlier with the same Idempotency-Key. */
  replayed: boolean;
}

export interface CampaignStockDeps {
  database: Database;
  redis: RedisRouter;
  keyPrefix: string;
  campaigns: CampaignsRepo;
  changes: ChangesRepo;
  restoreIfKnown: (campaignId: string) => Promise<boolean>;
  announce: (campaignId: string) => Promise<void>;
}

/** An adjustment id that is the same for every retry carrying one Idempotency-Key. */
function adjustmentId(campaignId: string, idempotencyKey: string | undefined): string {
  return idempotencyKey ? uuidFromText(`${campaignId}\0${idempotencyKey}`) : uuidv7();
}

/**
 * Records in Postgres a stock change Redis applied: the adjustment row (once: false when it was already
 * recorded), the new total and the audit entry. Returns the campaign as it now stands, or null.
 */
export async function recordStockChange(
  tx: Tx,
  repos: { campaigns: CampaignsRepo; changes: ChangesRepo },
  campaignId: string,
  entry: StockEntry,
  by: { recordedBy: 'api' | 'reconciler'; requestId?: string | undefined },
): Promise<Campaign | null> {
  if (!(await repos.changes.recordStock(tx, campaignId, entry, by.recordedBy))) return null;
  const campaign = await repos.campaigns.addStock(tx, campaignId, entry.delta);
  await repos.changes.record(tx, {
    campaignId,
    actor: entry.actor,
    action: 'stock',
    before: { totalStock: campaign.totalStock - entry.delta },
    after: {
      totalStock: campaign.totalStock,
      delta: entry.delta,
      adjustmentId: entry.group ?? entry.id,
      ...(entry.bucket === undefined ? {} : { bucket: entry.bucket }),
      ...(by.recordedBy === 'api' ? {} : { recordedBy: by.recordedBy }),
    },
    requestId: by.requestId,
  });
  return campaign;
}

const insufficient = (remaining: number, delta: number) =>
  new AppError('insufficient_stock', `only ${remaining} coupons remain; cannot remove ${-delta}`, {
    remaining,
  });

const restoring = (id: string) =>
  new UnavailableError('redis', undefined, `campaign ${id} is being restored; retry shortly`);

/** A one-bucket campaign's change: one atomic step in Redis. */
async function applyOne(
  deps: CampaignStockDeps,
  id: string,
  args: { adjustmentId: string; delta: number; actor: string },
): Promise<SpreadOutcome> {
  const keys = campaignKeys(deps.keyPrefix, id);
  const result = await deps.redis.run(keys.meta, (r, runId) =>
    scripts.adjustStock(r, keys, { ...args, runId }),
  );
  if (result.kind === 'applied' || result.kind === 'replayed')
    return { kind: 'applied', entries: [result.entry], replayed: result.kind === 'replayed' };
  if (result.kind === 'insufficient') return { ...result, entries: [] };
  return { kind: result.kind, entries: [] };
}

/**
 * Adds or removes stock while claims run. Redis decides (it knows what remains) and journals the change
 * in the same atomic step (per bucket, for a campaign with several); Postgres records it in the same
 * transaction that holds the campaign's row. A crash between the two leaves a journal entry Postgres
 * lacks, which the reconciler records.
 */
export function createCampaignStock(deps: CampaignStockDeps) {
  const write = campaignWrite(deps.database, deps.announce);

  const record = async (tx: Tx, id: string, entries: StockEntry[], who: Actor, start: Campaign) => {
    let campaign = start;
    for (const entry of entries) {
      const recorded = await recordStockChange(tx, deps, id, entry, {
        recordedBy: 'api',
        requestId: who.requestId,
      });
      campaign = recorded ?? campaign;
    }
    return campaign;
  };

  return {
    async adjust(id: string, delta: number, who: Actor, idempotencyKey?: string): Promise<StockChangeResult> {
      const adjustment = adjustmentId(id, idempotencyKey);
      // A refusal that undid parts already applied still records them (they cancel out): the write
      // commits, and the refusal is thrown after it.
      let refusal: AppError | null = null;
      const result = await write(id, async (tx) => {
        const locked = await deps.campaigns.lock(tx, id);
        if (!locked) throw campaignNotFound(id);
        const args = { adjustmentId: adjustment, delta, actor: who.actor };
        const outcome =
          locked.buckets === 1
            ? await applyOne(deps, id, args)
            : await applySpread(deps, locked, adjustment, delta, who.actor);
        const campaign = await record(tx, id, outcome.entries, who, locked);
        if (outcome.kind === 'insufficient') {
          refusal = insufficient(outcome.remaining, delta);
          return null;
        }
        if (outcome.kind !== 'applied') {
          if (outcome.kind === 'not_found') await deps.restoreIfKnown(id);
          throw restoring(id);
        }
        const [only] = outcome.entries;
        const entry =
          locked.buckets === 1 && only
            ? only
            : combinedEntry(adjustment, outcome.entries, campaign, await remainingOf(deps, campaign));
        return { adjustment: entry, campaign, replayed: outcome.replayed };
      });
      if (refusal) throw refusal;
      if (!result) throw new Error('stock change ended without a result');
      return result;
    },
  };
}

/** What remains over all of a campaign's buckets (for the answer; Redis decides, this only reports). */
async function remainingOf(deps: CampaignStockDeps, c: Campaign): Promise<number> {
  const values = await Promise.all(
    allBucketKeys(deps.keyPrefix, c.id, c.buckets).map((k) =>
      deps.redis.run(k.meta, (r) => r.hget(k.meta, 'remaining')),
    ),
  );
  return values.reduce((n, v) => n + Number(v ?? 0), 0);
}

export type CampaignStock = ReturnType<typeof createCampaignStock>;
