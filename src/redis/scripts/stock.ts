import type { Cluster, Redis, Result } from 'ioredis';
import type { StockEntry } from '../../domain/stock.ts';
import type { CampaignKeys } from '../keys.ts';
import { decodeStockEntry } from '../records/stock-entry.ts';
import { defineScript } from './source.ts';

export const adjustStockDef = defineScript('fsAdjustStock', 'adjust_stock.lua', 2);

declare module 'ioredis' {
  interface RedisCommander<Context> {
    fsAdjustStock(
      meta: string,
      journal: string,
      adjustmentId: string,
      delta: number,
      actor: string,
      runId: string,
      group: string,
    ): Result<[number, (string | number)?], Context>;
  }
}

export interface AdjustStockArgs {
  /** Stable across retries of one request. */
  adjustmentId: string;
  delta: number;
  actor: string;
  /** Run id of the server the connection is attached to (the fence). */
  runId: string;
  /** The operator's change this is a part of, when it is spread over buckets. */
  group?: string;
}

export type AdjustStockResult =
  | { kind: 'applied'; entry: StockEntry }
  | { kind: 'replayed'; entry: StockEntry }
  | { kind: 'not_found' }
  | { kind: 'insufficient'; remaining: number }
  | { kind: 'rebuilding' };

/** lua/adjust_stock.lua: adds or removes stock atomically with the claims, and journals the change. */
export async function adjustStock(
  r: Redis | Cluster,
  keys: CampaignKeys,
  a: AdjustStockArgs,
): Promise<AdjustStockResult> {
  const [code, payload] = await r.fsAdjustStock(
    keys.meta,
    keys.journal,
    a.adjustmentId,
    a.delta,
    a.actor,
    a.runId,
    a.group ?? '',
  );
  switch (code) {
    case 1:
      return { kind: 'applied', entry: decodeStockEntry(String(payload)) };
    case 2:
      return { kind: 'replayed', entry: decodeStockEntry(String(payload)) };
    case -1:
      return { kind: 'not_found' };
    case -2:
      return { kind: 'insufficient', remaining: Number(payload) };
    case -7:
      return { kind: 'rebuilding' };
    default:
      throw new Error(`adjust_stock returned unknown code ${String(code)}`);
  }
}
