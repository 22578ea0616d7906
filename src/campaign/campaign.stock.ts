import { createHash } from 'node:crypto';
import type { CampaignsRepo } from '../db/campaigns.repo.ts';
import type { ChangesRepo } from '../db/changes.repo.ts';
import type { Database, Tx } from '../db/client.ts';
import type { Campaign } from '../domain/campaign.ts';
import type { StockEntry } from '../domain/stock.ts';
import { campaignKeys } from '../redis/keys.ts';
import type { RedisRouter } from '../redis/router.ts';
import { scripts } from '../redis/scripts/index.ts';
import { AppError, UnavailableError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { campaignNotFound } from './campaign.read.ts';
import { type Actor, campaignWrite } from './operator.ts';

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
  if (!idempotencyKey) return uuidv7();
  const h = createHash('sha256').update(`${campaignId}\0${idempotencyKey}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
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
    before: { totalStock: entry.totalBefore },
    after: {
      totalStock: entry.totalAfter,
      delta: entry.delta,
      adjustmentId: entry.id,
      ...(by.recordedBy === 'api' ? {} : { recordedBy: by.recordedBy }),
    },
    requestId: by.requestId,
  });
  return campaign;
}

/**
 * Adds or removes stock while claims run. Redis decides (it knows what remains) and journals the change
 * in the same atomic step; Postgres records it in the same transaction that holds the campaign's row. A
 * crash between the two leaves a journal entry Postgres lacks, which the reconciler records.
 */
export function createCampaignStock(deps: CampaignStockDeps) {
  const write = campaignWrite(deps.database, deps.announce);

  return {
    adjust: (id: string, delta: number, who: Actor, idempotencyKey?: string): Promise<StockChangeResult> =>
      write(id, async (tx) => {
        const locked = await deps.campaigns.lock(tx, id);
        if (!locked) throw campaignNotFound(id);
        const keys = campaignKeys(deps.keyPrefix, id);
        const args = { adjustmentId: adjustmentId(id, idempotencyKey), delta, actor: who.actor };
        const result = await deps.redis.run(keys.meta, (r, runId) =>
          scripts.adjustStock(r, keys, { ...args, runId }),
        );
        if (result.kind === 'insufficient') {
          throw new AppError(
            'insufficient_stock',
            `only ${result.remaining} coupons remain; cannot remove ${-delta}`,
            {
              remaining: result.remaining,
            },
          );
        }
        if (result.kind === 'not_found' || result.kind === 'rebuilding') {
          if (result.kind === 'not_found') await deps.restoreIfKnown(id);
          throw new UnavailableError('redis', undefined, `campaign ${id} is being restored; retry shortly`);
        }
        const recorded = await recordStockChange(tx, deps, id, result.entry, {
          recordedBy: 'api',
          requestId: who.requestId,
        });
        return {
          adjustment: result.entry,
          campaign: recorded ?? locked,
          replayed: result.kind === 'replayed',
        };
      }),
  };
}

export type CampaignStock = ReturnType<typeof createCampaignStock>;
